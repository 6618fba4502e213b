package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/veelocity/veelocity/internal/api"
	"github.com/veelocity/veelocity/internal/config"
	"github.com/veelocity/veelocity/internal/store/storetest"
)

func newTestAPI(t *testing.T) *api.API {
	cfg, err := config.Parse(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return api.New(api.Deps{Store: storetest.New(t), Config: cfg, Log: slog.New(slog.DiscardHandler)})
}

func get(t *testing.T, srv *httptest.Server, path, accept string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestContract(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{API: newTestAPI(t), Log: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	tests := []struct {
		name, method, path, accept string
		status                     int
		contentType                string
		body                       string // exact JSON, or a substring for HTML
	}{
		{"health", "GET", "/api/v1/health", "", 200, "application/json", `{"status":"healthy"}`},
		{"welcome for JSON clients", "GET", "/", "application/json", 200, "application/json", `{"message":"Welcome to Veelocity"}`},
		{"welcome for clients that do not say", "GET", "/", "", 200, "application/json", `{"message":"Welcome to Veelocity"}`},
		{"HTML for browsers", "GET", "/", "text/html,application/xhtml+xml,*/*;q=0.8", 200, "text/html", "Veelocity"},
		{"unknown API path", "GET", "/api/v1/nope", "", 404, "application/json", `{"error":"no such path: /api/v1/nope"}`},
		{"unknown path", "GET", "/nope", "", 404, "application/json", `{"error":"no such path: /nope"}`},
		{"wrong method", "DELETE", "/api/v1/health", "", 405, "application/json", `{"error":"method not allowed; use GET"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.contentType)
			}
			if strings.HasPrefix(tc.contentType, "application/json") {
				var got, want any
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("body is not JSON: %s", b)
				}
				json.Unmarshal([]byte(tc.body), &want)
				if !jsonEqual(got, want) {
					t.Errorf("body %s, want %s", b, tc.body)
				}
			} else if !strings.Contains(string(b), tc.body) {
				t.Errorf("body %q does not contain %q", b, tc.body)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestPanicIsContained checks that a panicking handler gives a generic JSON
// 500, is logged with the request's method and path, and that the server
// goes on serving.
func TestPanicIsContained(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("/boom", func(http.ResponseWriter, *http.Request) { panic("secret internal detail") })
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(logRequests(log, recoverPanics(log, mux)))
	defer srv.Close()

	resp, body := get(t, srv, "/boom", "")
	if resp.StatusCode != 500 || strings.TrimSpace(body) != `{"error":"internal server error"}` {
		t.Fatalf("panic answered %d %s", resp.StatusCode, body)
	}
	if strings.Contains(body, "secret") {
		t.Fatal("the panic value reached the client")
	}
	if resp, body := get(t, srv, "/ok", ""); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("after a panic, /ok answered %d %q", resp.StatusCode, body)
	}
	for _, want := range []string{`msg="handler panicked"`, "path=/boom", "method=GET", `panic="secret internal detail"`, "status=500"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
}

// TestOpenAPIDescribesEveryRoute checks the published description against
// the routes the router actually registered, and that it is valid OpenAPI 3.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	o := Options{API: newTestAPI(t), Log: slog.New(slog.DiscardHandler), Version: "test"}
	_, registered, _, _ := newMux(o)
	srv := httptest.NewServer(Handler(o))
	defer srv.Close()
	resp, body := get(t, srv, "/openapi.json", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d", resp.StatusCode)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(body))
	if err != nil {
		t.Fatalf("loading the description: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the description is not valid OpenAPI 3: %v", err)
	}
	if len(registered) < 3 {
		t.Fatalf("only %d routes registered: %v", len(registered), registered)
	}
	for _, r := range registered {
		method, path, _ := strings.Cut(r, " ")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is served but missing from /openapi.json", r)
		}
	}
}

// TestRunShutsDownGracefully starts the real listener, makes a request that
// is still running when the context ends, and checks that it completes.
func TestRunShutsDownGracefully(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, "127.0.0.1:0", h, slog.New(slog.DiscardHandler), func(a net.Addr) { addrc <- a })
	}()
	addr := <-addrc

	var wg sync.WaitGroup
	var body string
	var reqErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get("http://" + addr.String() + "/")
		if err != nil {
			reqErr = err
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}()
	<-started
	cancel() // like SIGTERM
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if reqErr != nil || body != "finished" {
		t.Fatalf("in-flight request: %q, %v", body, reqErr)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr.String(), time.Second); err == nil {
		t.Fatal("still listening after shutdown")
	}
}
