package engine

import (
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/streamsql/streamsql/planner/catalog"
	"github.com/streamsql/streamsql/planner/types"
	"github.com/streamsql/streamsql/wire"
)

// showMetrics answers SHOW METRICS: the engine's figures that /metrics
// serves (the engine's collector, not the wire's or Go's), one row a
// series, for psql users without a browser. A histogram is its count and
// its sum.
func (e *Engine) showMetrics(w wire.ResultWriter) error {
	r, err := e.metricRows()
	if err != nil {
		return err
	}
	return writeResult(w, r.cols, r.b)
}

// metricRows are SHOW METRICS' rows, streamsql_catalog.metrics'.
func (e *Engine) metricRows() (*rowsOf, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(e.Collector()); err != nil {
		return nil, err
	}
	fams, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	r := newRows(col("metric", types.Varchar), col("labels", types.Varchar), catalog.Column{Name: "value", Type: types.Double})
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			ls := strings.Join(labels, ",")
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				r.addFloat(f.GetName(), ls, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				r.addFloat(f.GetName(), ls, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM:
				r.addFloat(f.GetName()+"_count", ls, float64(m.GetHistogram().GetSampleCount()))
				r.addFloat(f.GetName()+"_sum", ls, m.GetHistogram().GetSampleSum())
			case dto.MetricType_UNTYPED:
				r.addFloat(f.GetName(), ls, m.GetUntyped().GetValue())
			}
		}
	}
	return r, nil
}

// addFloat appends a (metric, labels, value) row.
func (r *rowsOf) addFloat(name, labels string, v float64) {
	r.b.Cols[0].AppendStr(name)
	r.b.Cols[1].AppendStr(labels)
	r.b.Cols[2].AppendF64(v)
	r.b.EndRow(1)
}
