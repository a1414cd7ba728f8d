package web

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// chart is an inline SVG chart, drawn by the templates "barchart" and
// "spark" from numbers worked out here. Its look comes from the stylesheet
// through the classes of its parts: the CSP allows no style attribute.
type chart struct {
	ID            string
	Width, Height int
	Summary       string // the text alternative, the chart's <title>
	Bars          []bar
}

type bar struct {
	X, Y, W, H    int
	TextY, ValueX int
	Class         string
	Label, Value  string
}

type barInput struct {
	label, class string
	value        int64
}

// Geometry of the horizontal bar chart, in SVG user units.
const (
	barLabelWidth = 170 // at least; longer labels widen it
	barMaxWidth   = 330
	barHeight     = 22
	barGap        = 8
	// barLabelChar is what a letter of a label may take. The server cannot
	// measure text, and labels are translated (a Dutch sector or type name
	// runs to 26 letters), so the label column is sized from their length,
	// generously, for the bars never to start inside a label.
	barLabelChar = 8
)

// barChart draws one horizontal bar per input, scaled to the largest.
func barChart(id string, in []barInput, summary string) chart {
	labelWidth := barLabelWidth
	var top int64 = 1
	for _, b := range in {
		top = max(top, b.value)
		labelWidth = max(labelWidth, utf8.RuneCountInString(b.label)*barLabelChar+10)
	}
	c := chart{ID: id, Width: labelWidth + barMaxWidth + 60, Height: max(1, len(in)*(barHeight+barGap)), Summary: summary}
	for i, b := range in {
		y := i * (barHeight + barGap)
		w := int(b.value * barMaxWidth / top)
		if b.value > 0 {
			w = max(w, 2)
		}
		c.Bars = append(c.Bars, bar{X: labelWidth, Y: y, W: w, H: barHeight, TextY: y + barHeight - 6,
			ValueX: labelWidth + w + 6, Class: b.class, Label: b.label, Value: strconv.FormatInt(b.value, 10)})
	}
	return c
}

// Geometry of the daily column chart.
const (
	sparkColumn = 6
	sparkHeight = 30
)

// sparkline draws one column per day, scaled to the busiest day.
func sparkline(id, class string, daily []int64, summary string) chart {
	c := chart{ID: id, Width: len(daily) * sparkColumn, Height: sparkHeight, Summary: summary}
	var top int64 = 1
	for _, n := range daily {
		top = max(top, n)
	}
	for i, n := range daily {
		h := int(n * (sparkHeight - 2) / top)
		if n > 0 {
			h = max(h, 2)
		}
		c.Bars = append(c.Bars, bar{X: i * sparkColumn, Y: sparkHeight - h, W: sparkColumn - 1, H: h, Class: class})
	}
	return c
}

// graph is the small relationship graph of an object's page: the object in
// the middle, the objects it is related to around it, each a link.
type graph struct {
	Width, Height int
	CX, CY        int
	Center        string
	Summary       string
	Nodes         []graphNode
}

type graphNode struct {
	X, Y        int // the node
	LX, LY      int // its label
	EX, EY      int // the edge's label, halfway
	Label, Edge string
	Href, Class string
	Outgoing    bool
}

// MaxGraphNodes bounds the graph; the list below it has every relationship.
const MaxGraphNodes = 16

// maxGraphLabel is how much of a name labels a node.
const maxGraphLabel = 24

func relationshipGraph(center string, rels []relRow, summary string) graph {
	g := graph{Width: 640, Height: 380, CX: 320, CY: 190, Center: center, Summary: summary}
	n := min(len(rels), MaxGraphNodes)
	for i := range n {
		r := rels[i]
		angle := 2*math.Pi*float64(i)/float64(n) - math.Pi/2
		x := g.CX + int(230*math.Cos(angle))
		y := g.CY + int(150*math.Sin(angle))
		typ, _, _ := strings.Cut(r.Other, "--")
		label := typ
		if r.OtherName != "" {
			label = shorten(r.OtherName, maxGraphLabel)
		} else if u := strings.TrimPrefix(r.Other, typ+"--"); len(u) >= 8 {
			label += " " + u[:8]
		}
		g.Nodes = append(g.Nodes, graphNode{X: x, Y: y, LX: x, LY: y + 22, EX: (x + g.CX) / 2, EY: (y+g.CY)/2 - 4,
			Label: label, Edge: r.Kind, Href: "/objects/" + r.Other, Class: "t-" + typ, Outgoing: r.Outgoing})
	}
	return g
}
