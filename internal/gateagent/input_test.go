package gateagent

import (
	"context"
	"strings"
	"testing"
)

func TestScannerLinesEndWithCRLFOrEitherAlone(t *testing.T) {
	in := "GH1aaa\r\nGH1bbb\rGH1ccc\n\n  \r\n GH1ddd \n" + strings.Repeat("x", 5000) + "\nGH1eee"
	ch := make(chan string, 10)
	if err := ReadLines(context.Background(), strings.NewReader(in), ch); err != nil {
		t.Fatal(err)
	}
	close(ch)
	var got []string
	for l := range ch {
		got = append(got, l)
	}
	if len(got) != 6 || strings.Join(got[:4], ",") != "GH1aaa,GH1bbb,GH1ccc,GH1ddd" || len(got[4]) != maxLine || got[5] != "GH1eee" {
		t.Fatalf("lines %q", got)
	}
}
