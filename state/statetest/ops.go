package statetest

import (
	"fmt"
	"testing"

	"github.com/streamsql/streamsql/state"
)

func testGetPutDelete(t *testing.T, h *harness) {
	s := h.ns(1)
	if got := MustGet(t, s, "missing"); got != "<absent>" {
		t.Errorf("Get(missing) = %q", got)
	}
	MustPut(t, s, "k", "v1")
	MustPut(t, s, "k", "v2")
	if got := MustGet(t, s, "k"); got != "v2" {
		t.Errorf("Get after overwrite = %q, want v2", got)
	}
	MustPut(t, s, "", "empty key")
	MustPut(t, s, "empty value", "")
	v, ok, err := s.Get(b("empty value"))
	if err != nil || !ok || len(v) != 0 {
		t.Errorf("Get(empty value) = %q, %v, %v", v, ok, err)
	}
	if got := MustGet(t, s, ""); got != "empty key" {
		t.Errorf("Get(\"\") = %q", got)
	}
	del(t, s, "k")
	del(t, s, "k") // absent: not an error
	if got := MustGet(t, s, "k"); got != "<absent>" {
		t.Errorf("Get after Delete = %q", got)
	}
	expectScan(t, s, nil, nil, "=empty key", "empty value=")
}

func testPutCopies(t *testing.T, h *harness) {
	s := h.ns(1)
	k, v := b("key"), b("value")
	if err := s.Put(k, v); err != nil {
		t.Fatal(err)
	}
	copy(k, "XXX")
	copy(v, "XXXXX")
	if got := MustGet(t, s, "key"); got != "value" {
		t.Errorf("value changed with the caller's buffer: %q", got)
	}
	expectScan(t, s, nil, nil, "key=value")

	// Bounds are copied by NewIter too.
	MustPut(t, s, "a", "1")
	start, end := b("a"), b("b")
	it := s.NewIter(start, end)
	copy(start, "z")
	copy(end, "z")
	if !it.First() || string(it.Key()) != "a" || it.Next() {
		t.Errorf("iterator followed its caller's bound buffers")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
}

func testScanBounds(t *testing.T, h *harness) {
	s := h.ns(1)
	for _, k := range []string{"b", "a", "d", "c", "bb", "\xff"} {
		MustPut(t, s, k, "v"+k)
	}
	all := []string{"a=va", "b=vb", "bb=vbb", "c=vc", "d=vd", "\xff=v\xff"}
	expectScan(t, s, nil, nil, all...)
	expectScan(t, s, b(""), nil, all...)
	expectScan(t, s, b("b"), b("c"), "b=vb", "bb=vbb")
	expectScan(t, s, b("ab"), b("bc"), "b=vb", "bb=vbb")
	expectScan(t, s, nil, b("b"), "a=va")
	expectScan(t, s, b("c"), nil, "c=vc", "d=vd", "\xff=v\xff")
	expectScan(t, s, b("b"), b("b"))     // start == end
	expectScan(t, s, b("c"), b("b"))     // start > end
	expectScan(t, s, nil, b(""))         // non-nil empty end
	expectScan(t, s, b("\xff\x00"), nil) // past the last key
	expectScan(t, h.ns(2), nil, nil)     // empty namespace
}

func testIteratorPositioning(t *testing.T, h *harness) {
	s := h.ns(1)
	for _, k := range []string{"a", "b", "c"} {
		MustPut(t, s, k, k)
	}
	it := s.NewIter(nil, nil)
	if it.Valid() {
		t.Errorf("new iterator is valid before First")
	}
	if !it.Next() || string(it.Key()) != "a" {
		t.Errorf("Next on an unpositioned iterator does not act like First")
	}
	for it.Next() {
	}
	if it.Next() || it.Valid() {
		t.Errorf("iterator revived after exhaustion")
	}
	if !it.First() || string(it.Key()) != "a" || string(it.Value()) != "a" {
		t.Errorf("First does not rewind")
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	// Enough keys to cross any internal batching of the backend.
	var want []string
	for i := range 1000 {
		k := fmt.Sprintf("k%04d", i)
		MustPut(t, s, k, k)
		want = append(want, k+"="+k)
	}
	expectScan(t, s, b("k"), b("l"), want...)
}

// testIteratorSnapshot checks the documented choice: an iterator sees the
// Store as of NewIter, and mutating the Store under it is allowed.
func testIteratorSnapshot(t *testing.T, h *harness) {
	s := h.ns(1)
	var want []string
	for i := range 300 {
		k := fmt.Sprintf("%03d", i)
		MustPut(t, s, k, "old")
		want = append(want, k+"=old")
	}
	it := s.NewIter(nil, nil)
	var got []string
	for ok := it.First(); ok; ok = it.Next() {
		got = append(got, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
		// Emit-and-delete, plus writes ahead of and behind the cursor.
		del(t, s, string(it.Key()))
		MustPut(t, s, "999", "new")
		MustPut(t, s, "000", "new")
		delRange(t, s, b("150"), b("160"))
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("iterator saw mutations made after NewIter:\n got %q\nwant %q", got, want)
	}
	expectScan(t, s, nil, nil, "000=new", "999=new")
}

func testDeleteRange(t *testing.T, h *harness) {
	s := h.ns(1)
	fill := func() {
		for _, k := range []string{"", "a", "b", "bb", "c", "d"} {
			MustPut(t, s, k, "v")
		}
	}
	for _, tc := range []struct {
		start, end []byte
		want       []string
	}{
		{b("b"), b("c"), []string{"=v", "a=v", "c=v", "d=v"}},
		{b("b"), nil, []string{"=v", "a=v"}},
		{nil, b("b"), []string{"b=v", "bb=v", "c=v", "d=v"}},
		{b("bb"), b("bb"), []string{"=v", "a=v", "b=v", "bb=v", "c=v", "d=v"}},
		{b("c"), b("a"), []string{"=v", "a=v", "b=v", "bb=v", "c=v", "d=v"}},
		{b("a"), b(""), []string{"=v", "a=v", "b=v", "bb=v", "c=v", "d=v"}},
		{b("x"), nil, []string{"=v", "a=v", "b=v", "bb=v", "c=v", "d=v"}},
		{nil, nil, nil},
	} {
		fill()
		delRange(t, s, tc.start, tc.end)
		expectScan(t, s, nil, nil, tc.want...)
	}
}

// testDeleteRangeKnown runs testDeleteRange's cases through
// state.DeleteRangeKnown, telling the Store the true count of each range
// (and once "don't know", Keys 0, over a full range), and requires the
// same contents and exact Stats, also after a restart.
func testDeleteRangeKnown(t *testing.T, h *harness) {
	s := h.ns(1)
	fill := func() {
		for _, k := range []string{"", "a", "b", "bb", "c", "d"} {
			MustPut(t, s, k, "v"+k)
		}
	}
	held := func(start, end []byte) state.Stats {
		var st state.Stats
		for _, kv := range scan(t, s, start, end) {
			st.Keys++
			st.Bytes += int64(len(kv) - 1) // "k=v"
		}
		return st
	}
	for i, tc := range []struct {
		start, end []byte
		unknown    bool
		want       []string
	}{
		{b("b"), b("c"), false, []string{"=v", "a=va", "c=vc", "d=vd"}},
		{b("b"), b("c"), true, []string{"=v", "a=va", "c=vc", "d=vd"}},
		{b("b"), nil, false, []string{"=v", "a=va"}},
		{nil, b("b"), false, []string{"b=vb", "bb=vbb", "c=vc", "d=vd"}},
		{b("bb"), b("bb"), false, []string{"=v", "a=va", "b=vb", "bb=vbb", "c=vc", "d=vd"}},
		{b("x"), nil, false, []string{"=v", "a=va", "b=vb", "bb=vbb", "c=vc", "d=vd"}},
		{nil, nil, false, nil},
	} {
		fill()
		removed := held(tc.start, tc.end)
		if tc.unknown {
			removed = state.Stats{}
		}
		if err := state.DeleteRangeKnown(s, tc.start, tc.end, removed); err != nil {
			t.Fatalf("case %d: DeleteRangeKnown(%q, %q, %+v): %v", i, tc.start, tc.end, removed, err)
		}
		expectScan(t, s, nil, nil, tc.want...)
		if got, want := s.Stats(), held(nil, nil); got != want {
			t.Errorf("case %d: Stats %+v after DeleteRangeKnown, want %+v", i, got, want)
		}
	}
	fill()
	checkpoint(t, h, 1)
	if err := state.DeleteRangeKnown(s, b("a"), b("c"), held(b("a"), b("c"))); err != nil {
		t.Fatal(err)
	}
	checkpoint(t, h, 2)
	want := dump(t, h, 1)
	if h.reopen() != 2 {
		t.Fatal("checkpoint 2 not restored")
	}
	if got := dump(t, h, 1); got != want {
		t.Errorf("restored:\n%s\nwant:\n%s", got, want)
	}
}

func testNamespaceIsolation(t *testing.T, h *harness) {
	s1, s2 := h.ns(1), h.ns(2)
	MustPut(t, s1, "k", "one")
	MustPut(t, s2, "k", "two")
	MustPut(t, s2, "only2", "x")
	if a, b := MustGet(t, s1, "k"), MustGet(t, s2, "k"); a != "one" || b != "two" {
		t.Errorf("same key in two namespaces: %q, %q", a, b)
	}
	expectScan(t, s1, nil, nil, "k=one")
	delRange(t, s1, nil, nil)
	expectScan(t, s1, nil, nil)
	expectScan(t, s2, nil, nil, "k=two", "only2=x")
	// Namespace returns the same store for the same id.
	MustPut(t, h.ns(1), "again", "y")
	expectScan(t, s1, nil, nil, "again=y")
	expectScan(t, h.ns(1<<63), nil, nil)
}

func testDropNamespace(t *testing.T, h *harness) {
	s1, s2 := h.ns(1), h.ns(2)
	MustPut(t, s1, "a", "1")
	MustPut(t, s1, "b", "2")
	MustPut(t, s2, "a", "3")
	if err := h.b.DropNamespace(1); err != nil {
		t.Fatal(err)
	}
	if err := h.b.DropNamespace(99); err != nil {
		t.Errorf("dropping an unknown namespace: %v", err)
	}
	expectScan(t, s1, nil, nil)
	if st := s1.Stats(); st != (state.Stats{}) {
		t.Errorf("Stats after drop = %+v", st)
	}
	expectScan(t, s2, nil, nil, "a=3")
	MustPut(t, s1, "c", "4") // still usable
	expectScan(t, h.ns(1), nil, nil, "c=4")
}

func testStats(t *testing.T, h *harness) {
	s := h.ns(1)
	check := func(what string, keys, bytes int64) {
		t.Helper()
		if got := s.Stats(); got != (state.Stats{Keys: keys, Bytes: bytes}) {
			t.Errorf("after %s: Stats = %+v, want {Keys:%d Bytes:%d}", what, got, keys, bytes)
		}
	}
	check("nothing", 0, 0)
	MustPut(t, s, "aa", "123")
	MustPut(t, s, "b", "")
	check("puts", 2, 6)
	MustPut(t, s, "aa", "1")
	check("overwrite", 2, 4)
	del(t, s, "b")
	del(t, s, "b")
	check("delete", 1, 3)
	MustPut(t, s, "c", "xy")
	MustPut(t, s, "d", "xyz")
	delRange(t, s, b("b"), b("d"))
	check("range delete", 2, 7)
	if st := h.ns(2).Stats(); st != (state.Stats{}) {
		t.Errorf("other namespace Stats = %+v", st)
	}
}
