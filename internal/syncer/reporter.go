package syncer

import "slices"

// reporter is the Reporter a connector gets: it counts into the run's
// progress (source i) and pushes scope changes to the run's observer.
type reporter struct {
	e *Engine
	r *run
	i int
}

// Scope implements Reporter.
func (rep *reporter) Scope(scope string) {
	var left, entered *ScopeProgress
	var src SourceProgress
	rep.e.update(rep.r, func(p *Progress) {
		s := &p.Sources[rep.i]
		if s.Scope == scope && len(s.Scopes) > 0 {
			return
		}
		left = s.scopeCopy(s.Scope)
		s.Scope = scope
		s.currentScope()
		entered = s.scopeCopy(scope)
		src = s.clone()
	})
	if left != nil {
		rep.e.emit(rep.r, Event{Kind: ScopeFinished, Source: src, Scope: *left})
	}
	if entered != nil {
		rep.e.emit(rep.r, Event{Kind: ScopeStarted, Source: src, Scope: *entered})
	}
}

// Records implements Reporter.
func (rep *reporter) Records(kind string, n int) {
	rep.e.update(rep.r, func(p *Progress) {
		s := &p.Sources[rep.i]
		s.addRecords(kind, n)
		s.currentScope().addRecords(kind, n)
	})
}

// Requests implements Reporter.
func (rep *reporter) Requests(n int) {
	rep.e.update(rep.r, func(p *Progress) {
		s := &p.Sources[rep.i]
		s.Counts.Requests += int64(n)
		s.currentScope().Requests += int64(n)
	})
}

// ForScope implements Scoped: scope runs alongside the others until the
// returned function ends it.
func (rep *reporter) ForScope(scope string) (Reporter, func(err error)) {
	var entered ScopeProgress
	var src SourceProgress
	rep.e.update(rep.r, func(p *Progress) {
		s := &p.Sources[rep.i]
		s.Scope = scope
		s.Active = append(s.Active, scope)
		sc := s.scope(scope)
		sc.Status = "running"
		entered = *s.scopeCopy(scope)
		src = s.clone()
	})
	rep.e.emit(rep.r, Event{Kind: ScopeStarted, Source: src, Scope: entered})
	end := func(err error) {
		var left ScopeProgress
		var src SourceProgress
		rep.e.update(rep.r, func(p *Progress) {
			s := &p.Sources[rep.i]
			if j := slices.Index(s.Active, scope); j >= 0 {
				s.Active = slices.Delete(s.Active, j, j+1)
			}
			if s.Scope == scope {
				s.Scope = ""
				if n := len(s.Active); n > 0 {
					s.Scope = s.Active[n-1]
				}
			}
			sc := s.scope(scope)
			sc.Status = "success"
			if err != nil {
				sc.Status = "failed"
			}
			left = *s.scopeCopy(scope)
			src = s.clone()
		})
		rep.e.emit(rep.r, Event{Kind: ScopeFinished, Source: src, Scope: left})
	}
	return &scopeReporter{rep: rep, scope: scope}, end
}

// scopeReporter counts into one scope of a source that syncs several at
// once.
type scopeReporter struct {
	rep   *reporter
	scope string
}

// Scope does nothing: a scope's reporter stays on its scope.
func (sr *scopeReporter) Scope(string) {}

// Records implements Reporter.
func (sr *scopeReporter) Records(kind string, n int) {
	sr.rep.e.update(sr.rep.r, func(p *Progress) {
		s := &p.Sources[sr.rep.i]
		s.addRecords(kind, n)
		s.scope(sr.scope).addRecords(kind, n)
	})
}

// Requests implements Reporter.
func (sr *scopeReporter) Requests(n int) {
	sr.rep.e.update(sr.rep.r, func(p *Progress) {
		s := &p.Sources[sr.rep.i]
		s.Counts.Requests += int64(n)
		s.scope(sr.scope).Requests += int64(n)
	})
}

// leaveScope reports the end of the current scope, when the connector is
// done.
func (rep *reporter) leaveScope() {
	var left *ScopeProgress
	var src SourceProgress
	rep.e.update(rep.r, func(p *Progress) {
		s := &p.Sources[rep.i]
		left = s.scopeCopy(s.Scope)
		src = s.clone()
	})
	// A scope begun with ForScope was ended by its own function.
	if left != nil && left.Status == "" {
		rep.e.emit(rep.r, Event{Kind: ScopeFinished, Source: src, Scope: *left})
	}
}

// currentScope returns the scope counts go to, creating it (for counts a
// connector reports before naming any scope, under scope "").
func (s *SourceProgress) currentScope() *ScopeProgress { return s.scope(s.Scope) }

// scope returns scope's progress, creating it.
func (s *SourceProgress) scope(scope string) *ScopeProgress {
	j := scopeIndex(s, scope)
	if j < 0 {
		s.Scopes = append(s.Scopes, ScopeProgress{Scope: scope})
		j = len(s.Scopes) - 1
	}
	return &s.Scopes[j]
}

// scopeCopy returns a copy of scope's progress, or nil if it has none.
func (s *SourceProgress) scopeCopy(scope string) *ScopeProgress {
	j := scopeIndex(s, scope)
	if j < 0 {
		return nil
	}
	sc := s.Scopes[j]
	sc.Counts = sc.Counts.clone()
	return &sc
}

func scopeIndex(s *SourceProgress, scope string) int {
	for j := range s.Scopes {
		if s.Scopes[j].Scope == scope {
			return j
		}
	}
	return -1
}
