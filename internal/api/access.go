package api

// Access is who may call a route, read by the server's middleware.
//
// The zero value, Private, is the default: the route needs a session or an
// API token whenever AUTH_MODE is not none, and a read-only token may call
// it only with GET or HEAD. Mark a route otherwise only with a reason:
//
//	{Method: http.MethodPost, Pattern: "/api/v1/webhooks/github", Access: api.Signature, AnyBody: true, …}
//
// Every state-changing request, whatever the route's Access, goes through
// cross-origin protection (http.CrossOriginProtection), which refuses a
// browser's cross-site request and lets through server-to-server requests
// (no Origin or Sec-Fetch-Site header).
type Access int

const (
	// Private routes need a session or an API token (the default).
	Private Access = iota
	// Public routes need no credentials: the health check, for instance.
	Public
	// Signature routes need no session or token because the handler
	// checks the request's own signature (webhooks, with their HMAC).
	Signature
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case Signature:
		return "signature"
	}
	return "private"
}
