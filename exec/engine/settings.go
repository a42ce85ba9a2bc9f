package engine

import (
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/exec"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/parser/sqlerr"
)

// systemSettings are the settings of the whole server rather than of one
// session: SET changes them for every session and every view, and they are
// stored in checkpoints with the catalog, so they survive a restart (a
// stored value overrides the command line's default, as PostgreSQL's
// ALTER SYSTEM overrides its configuration file).
var systemSettings = []string{"checkpoint_interval", "state_cache_size", "subscription_buffer_bytes"}

// system holds the current values of the system settings.
type system struct {
	mu       sync.Mutex
	interval time.Duration // 0: no periodic checkpoints
	cache    int           // 0: exec.DefaultCacheGroups
	// set holds the values SET by users, the ones checkpoints store.
	set map[string]string
	// wake tells the checkpoint loop that the interval changed.
	wake chan struct{}
}

func isSystemSetting(name string) bool { return slices.Contains(systemSettings, name) }

// systemValue is the current value of a system setting, as SHOW prints it.
func (e *Engine) systemValue(name string) string {
	e.sys.mu.Lock()
	defer e.sys.mu.Unlock()
	switch name {
	case "checkpoint_interval":
		if e.sys.interval == 0 {
			return "off"
		}
		return e.sys.interval.String()
	case "state_cache_size":
		return strconv.Itoa(e.cacheGroups())
	case "subscription_buffer_bytes":
		return strconv.FormatInt(e.subBudget.getLimit(), 10)
	}
	return ""
}

// cacheGroups is the effective state_cache_size. e.sys.mu is held.
func (e *Engine) cacheGroups() int {
	if e.sys.cache > 0 {
		return e.sys.cache
	}
	return exec.DefaultCacheGroups
}

// parseSystem validates a value for a system setting.
func parseSystem(name, value string) (time.Duration, int, error) {
	v := strings.TrimSpace(value)
	switch name {
	case "checkpoint_interval":
		d, err := parseTime(v)
		if err != nil || d < 10*time.Millisecond || d > 24*time.Hour {
			return 0, 0, sqlerr.New(sqlerr.InvalidParameter,
				"invalid value for parameter \"checkpoint_interval\": %q (want a duration from 10ms to 24h, like '1s')", value)
		}
		return d, 0, nil
	case "state_cache_size":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, sqlerr.New(sqlerr.InvalidParameter,
				"invalid value for parameter \"state_cache_size\": %q (want a positive number of groups)", value)
		}
		return 0, n, nil
	case "subscription_buffer_bytes":
		n, err := parseBytes(v)
		if err != nil || n < 1<<10 {
			return 0, 0, sqlerr.New(sqlerr.InvalidParameter,
				"invalid value for parameter \"subscription_buffer_bytes\": %q (want at least 1kB, like '64MB' or 67108864)", value)
		}
		return 0, n, nil
	}
	return 0, 0, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
}

// parseTime reads the value of a time setting: a duration ('500ms',
// '2s'), an interval ('2 seconds'), or a number of milliseconds, as
// PostgreSQL reads time settings.
func parseTime(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	d, err := time.ParseDuration(v)
	if err != nil {
		if ms, perr := strconv.ParseInt(v, 10, 64); perr == nil {
			d, err = time.Duration(ms)*time.Millisecond, nil
		} else if us, ierr := parser.ParseDuration(v); ierr == nil {
			d, err = time.Duration(us)*time.Microsecond, nil
		}
	}
	return d, err
}

// setSystem applies a system setting to the running engine; the caller
// checkpoints afterwards to make it durable.
func (e *Engine) setSystem(name, value string) error {
	if err := e.restoreSystem(name, value); err != nil {
		return err
	}
	e.applySystem(name)
	return nil
}

// resetSystem puts a system setting back to the command line's value and
// forgets its SET, so checkpoints no longer store it (RESET name).
func (e *Engine) resetSystem(name string) {
	e.sys.mu.Lock()
	delete(e.sys.set, name)
	switch name {
	case "checkpoint_interval":
		e.sys.interval = e.opts.CheckpointInterval
	case "state_cache_size":
		e.sys.cache = e.opts.CacheGroups
	}
	e.sys.mu.Unlock()
	e.applySystem(name)
}

// applySystem makes what is already running follow a system setting's
// new value.
func (e *Engine) applySystem(name string) {
	switch name {
	case "checkpoint_interval":
		select {
		case e.sys.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	case "subscription_buffer_bytes":
		e.subBudget.enforce()
	case "state_cache_size":
		e.sys.mu.Lock()
		n := e.cacheGroups()
		e.sys.mu.Unlock()
		e.mu.RLock()
		defer e.mu.RUnlock()
		for _, x := range e.rels {
			if x.pipe != nil {
				x.df.locked(func() { x.pipe.SetCacheSize(n) })
			}
			if x.mat != nil {
				x.df.locked(func() { x.mat.SetCacheSize(n) })
			}
		}
	}
}

// restoreSystem records a setting, SET by a user or stored in a
// checkpoint, as the value in force; setSystem then applies it to what is
// already running.
func (e *Engine) restoreSystem(name, value string) error {
	d, n, err := parseSystem(name, value)
	if err != nil {
		return err
	}
	e.sys.mu.Lock()
	defer e.sys.mu.Unlock()
	e.sys.set[name] = strings.TrimSpace(value)
	switch name {
	case "checkpoint_interval":
		e.sys.interval = d
	case "state_cache_size":
		e.sys.cache = n
	case "subscription_buffer_bytes":
		e.subBudget.setLimit(int64(n))
	}
	return nil
}

// parseBytes reads a number of bytes, with PostgreSQL's memory units
// (kB, MB, GB: powers of 1024) or none.
func parseBytes(v string) (int, error) {
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}} {
		if num, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, strconv.ErrRange
	}
	return n * mult, nil
}

// checkpointLoop checkpoints every checkpoint_interval until the engine
// stops, picking up a changed interval at once.
func (e *Engine) checkpointLoop() {
	defer e.wg.Done()
	var t *time.Ticker
	var tick <-chan time.Time
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	reset := func() {
		e.sys.mu.Lock()
		d := e.sys.interval
		e.sys.mu.Unlock()
		switch {
		case d == 0 && t != nil:
			t.Stop()
			t, tick = nil, nil
		case d > 0 && t == nil:
			t = time.NewTicker(d)
			tick = t.C
		case d > 0:
			t.Reset(d)
		}
	}
	reset()
	// retry is armed while checkpoints fail to write (see storage.go),
	// whichever checkpoint failed first: this loop's, a DDL's.
	var retry <-chan time.Time
	arm := func() {
		if d, n, err := e.retryDelay(); err != nil {
			slog.Error("checkpoint failed: writes are refused until one succeeds", "err", err, "failed_attempts", n, "retry_in", d)
			retry = time.After(d)
		} else {
			retry = nil
		}
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.sys.wake:
			reset()
		case <-e.storage.failed:
			if retry == nil {
				arm()
			}
		case <-e.storage.probe:
			if retry == nil {
				e.Checkpoint()
				arm()
			}
		case <-retry:
			e.Checkpoint()
			arm()
		case <-tick:
			if retry != nil {
				continue // the retry takes this checkpoint's place
			}
			if err := e.Checkpoint(); err != nil && !isStorage(err) {
				slog.Error("checkpoint failed", "err", err)
			}
		}
	}
}
