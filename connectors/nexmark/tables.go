package nexmark

import (
	"math/bits"
	"strconv"
	"sync"
)

// Word lists of the reference generator (PersonGenerator, BidGenerator).
var (
	firstNames  = [...]string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames   = [...]string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	usStates    = [...]string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities    = [...]string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	hotChannels = [...]string{"Google", "Facebook", "Baidu", "Apple"}
)

const (
	// channelsNumber is how many cold channels there are (CHANNELS_NUMBER).
	channelsNumber = 10_000
	// poolLen is how many offsets a pooled string may start at; every
	// pool holds poolSlack more bytes, more than the longest string cut
	// from it.
	poolLen   = 1 << 20
	poolSlack = 1024
	// poolSeed fixes the shared tables: they are the same in every
	// process and for every seed.
	poolSeed = 0x6e65786d61726b // "nexmark"
)

// words holds the strings rows are cut from or pointed at, built once per
// process and shared by every generator. They never change, so a row's
// string may refer into them for as long as it lives.
type words struct {
	// letters is random 'a'..'z' (nextExactString, for extra);
	// text is the same with about one byte in 13 a space (nextString, for
	// item_name and description).
	letters, text string
	// names is every "first last" (11 × 9).
	names [len(firstNames) * len(lastNames)]string
	// hotURLs are the four hot channels' URLs; channels and urls the cold
	// ones, by channel number.
	hotURLs        [len(hotChannels)]string
	channels, urls []string
}

var sharedWords = sync.OnceValue(buildWords)

func buildWords() *words {
	w := &words{}
	r := stream(mix64(poolSeed))
	b := make([]byte, poolLen+poolSlack)
	for i := range b {
		b[i] = 'a' + byte(bounded(r.next(), 26))
	}
	w.letters = string(b)
	for i := range b {
		x := r.next()
		if bounded(x, 13) == 0 {
			b[i] = ' '
		} else {
			b[i] = 'a' + byte(bounded(x<<8, 26))
		}
	}
	w.text = string(b)
	for i, f := range firstNames {
		for j, l := range lastNames {
			w.names[i*len(lastNames)+j] = f + " " + l
		}
	}
	for i := range w.hotURLs {
		w.hotURLs[i] = baseURL(&r)
	}
	w.channels = make([]string, channelsNumber)
	w.urls = make([]string, channelsNumber)
	for k := range channelsNumber {
		w.channels[k] = "channel-" + strconv.Itoa(k)
		u := baseURL(&r)
		if bounded(r.next(), 10) > 0 {
			// Math.abs(Integer.reverse(channelNumber))
			rev := int64(int32(bits.Reverse32(uint32(k))))
			u += "&channel_id=" + strconv.FormatInt(max(rev, -rev), 10)
		}
		w.urls[k] = u
	}
	return w
}

// baseURL is BidGenerator.getBaseUrl: three random path segments of 3 or
// 4 characters, one in 13 of them '_'.
func baseURL(r *stream) string {
	b := []byte("https://www.nexmark.com/")
	var seg [8]byte
	for range 3 {
		n := nextString(seg[:], r, 5, '_')
		b = append(append(b, seg[:n]...), '/')
	}
	return string(append(b, "item.htm?query=1"...))
}
