package demo

import "time"

// days is how far back the demo reaches.
const days = 365

// fraction returns how far t is through the year, from 0 to 1: the clock
// of every trend.
func (g *generator) fraction(t time.Time) float64 {
	f := float64(t.Sub(g.start)) / float64(g.end.Sub(g.start))
	return min(max(f, 0), 1)
}

func lerp(a, b, f float64) float64 { return a + (b-a)*f }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// weekdayWeight is the relative amount of work opened on a day of the week.
var weekdayWeight = [7]float64{time.Sunday: 0.07, time.Monday: 1, time.Tuesday: 1.1, time.Wednesday: 1.1,
	time.Thursday: 1, time.Friday: 0.8, time.Saturday: 0.1}

// workTime returns a moment on day, mostly during working hours.
func (g *generator) workTime(day time.Time) time.Time {
	if g.r.chance(0.06) {
		return day.Add(g.r.between(0, 24*time.Hour))
	}
	u := (g.r.Float64() + g.r.Float64()) / 2 // peaks mid-day
	return day.Add(8*time.Hour + time.Duration(u*float64(10*time.Hour)))
}

// afterWeekend usually moves a moment that falls on a weekend to Monday
// morning: most reviews wait for the week to start.
func (g *generator) afterWeekend(t time.Time) time.Time {
	if !weekend(t) || g.r.chance(0.25) {
		return t
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for weekend(day) {
		day = day.AddDate(0, 0, 1)
	}
	return day.Add(8*time.Hour + g.r.between(0, 3*time.Hour))
}

// allocate spreads the PRs over repositories and days: each repo's share,
// quiet weekends, the repos' volume trends and some day-to-day noise. The
// counts add up to exactly total.
func (g *generator) allocate() [][]int {
	weights := make([][]float64, len(repos))
	sum := 0.0
	for i := range repos {
		weights[i] = make([]float64, days)
		for d := range days {
			day := g.start.AddDate(0, 0, d)
			w := repos[i].share * weekdayWeight[day.Weekday()] * volumeTrend(repos[i].trend, g.fraction(day)) *
				(0.7 + 0.6*g.r.Float64())
			weights[i][d] = w
			sum += w
		}
	}
	counts := make([][]int, len(repos))
	cum, given := 0.0, 0
	for i := range repos {
		counts[i] = make([]int, days)
		for d := range days {
			cum += weights[i][d]
			upTo := int(cum/sum*float64(g.total) + 0.5)
			counts[i][d] = upTo - given
			given = upTo
		}
	}
	return counts
}

// volumeTrend scales a repo's PR volume over the year: the improving team
// ships in smaller, more frequent PRs.
func volumeTrend(t trend, f float64) float64 {
	switch t {
	case improving:
		return lerp(0.8, 1.25, f)
	case worsening:
		return lerp(1.1, 0.9, f)
	}
	return 1
}
