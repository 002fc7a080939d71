package guide

// Helpers for the guide tables written by hand (005010X279A1): element
// formats come from the X12 data element dictionary (table_dataele.go), so
// an entry states only what the guide adds: usage, repeat and codes.

// x12Element is one entry of the X12 data element dictionary.
type x12Element struct {
	Type     string
	Min, Max int
	Name     string
}

// el is a simple element of a hand-written table.
func el(ref, num string, u Usage, codes ...string) Element {
	d, ok := x12Elements[num]
	if !ok {
		d = x12Element{Type: "AN", Min: 1, Max: 80, Name: "Data Element " + num}
	}
	return Element{Ref: ref, DataElement: num, Name: d.Name, Usage: u, Type: d.Type, Min: d.Min, Max: d.Max, Codes: codes}
}

// rep makes e a repeating element of at most n repetitions.
func rep(e Element, n int) Element {
	e.Repeat = n
	return e
}

func seg(id, name string, u Usage, maxUse int, elems ...Element) Node {
	return Node{Seg: &Segment{ID: id, Name: name, Usage: u, MaxUse: maxUse, Elements: elems}}
}

func loop(id, name string, u Usage, repeat int, children ...Node) Node {
	return Node{Loop: &Loop{ID: id, Name: name, Usage: u, Repeat: repeat, Children: children}}
}

// handGuide numbers the positions of a hand-written table (each node its
// own, in order) and registers it.
func handGuide(g *Guide) *Guide {
	pos := 0
	var number func(l *Loop)
	number = func(l *Loop) {
		for _, n := range l.Children {
			pos += 10
			if n.Seg != nil {
				n.Seg.Pos = pos
				continue
			}
			n.Loop.Pos = pos
			number(n.Loop)
		}
	}
	number(g.Root)
	return register(g)
}
