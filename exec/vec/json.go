package vec

import "github.com/streamsql/streamsql/exec/jsonb"

// CompareJSONB orders two jsonb texts as PostgreSQL orders jsonb.
func CompareJSONB(a, b string) int {
	if a == b {
		return 0
	}
	x, err1 := jsonb.Parse(a)
	y, err2 := jsonb.Parse(b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return jsonb.Compare(&x, &y)
}
