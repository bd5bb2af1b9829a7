package postgrest

import (
	"fmt"
	"net/http"
	"time"
)

// Phases of Server-Timing, in PostgREST's order.
const (
	phaseJWT = iota
	phaseParse
	phasePlan
	phaseTx
	phaseResponse
	nPhases
)

var phaseNames = [nPhases]string{"jwt", "parse", "plan", "transaction", "response"}

// serverTiming collects the phase durations PostgREST reports in
// Server-Timing when server-timing-enabled is on (App.hs withTiming,
// Response/Performance.hs@v16.2). A nil *serverTiming records nothing.
type serverTiming struct {
	d    [nPhases]time.Duration
	mark time.Time
}

// lap ends phase p: it gets the time since the previous mark.
func (t *serverTiming) lap(p int) {
	if t == nil {
		return
	}
	now := time.Now()
	t.d[p] = now.Sub(t.mark)
	t.mark = now
}

// header renders the durations in milliseconds with one decimal.
func (t *serverTiming) header() string {
	s := ""
	for p, name := range phaseNames {
		if p > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s;dur=%.1f", name, float64(t.d[p].Microseconds())/1000)
	}
	return s
}

// addTo ends the response phase and sets the header.
func (t *serverTiming) addTo(h http.Header) {
	if t == nil {
		return
	}
	t.lap(phaseResponse)
	h.Set("Server-Timing", t.header())
}
