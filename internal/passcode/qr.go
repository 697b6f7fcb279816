package passcode

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"

	lru "github.com/hashicorp/golang-lru/v2"
	qrcode "github.com/skip2/go-qrcode"
)

// QR drawing settings: medium error correction survives a scratched phone
// screen; 8 pixels a module (a whole number, so every module is a crisp
// square) reads well on gate scanners.
const (
	qrLevel       = qrcode.Medium
	qrModulePixel = 8
)

// PNG draws code as a QR code: go-qrcode makes the module bitmap (with its
// quiet zone of 4 modules) and this writes it straight to a 1-bit grayscale
// PNG, several times faster than go-qrcode's own image/png path. A GH2 code
// is all QR-alphanumeric characters, so go-qrcode writes it in alphanumeric
// mode (one segment, or numeric runs where those are shorter), never in byte
// mode.
func PNG(code string) ([]byte, error) {
	q, err := qrcode.New(code, qrLevel)
	if err != nil {
		return nil, err
	}
	return bitmapPNG(q.Bitmap(), qrModulePixel), nil
}

// bitmapPNG encodes a square bitmap (true = dark) scaled by scale as a 1-bit
// grayscale PNG.
func bitmapPNG(bm [][]bool, scale int) []byte {
	n := len(bm)
	side := n * scale
	rowBytes := (side + 7) / 8

	// One scaled row per module row, then repeated scale times.
	var raw bytes.Buffer
	raw.Grow((rowBytes + 1) * side)
	row := make([]byte, rowBytes)
	for y := 0; y < n; y++ {
		for i := range row {
			row[i] = 0
		}
		for x := 0; x < n; x++ {
			if bm[y][x] {
				continue // dark is 0 in grayscale
			}
			for p := x * scale; p < (x+1)*scale; p++ {
				row[p/8] |= 0x80 >> (p % 8)
			}
		}
		for s := 0; s < scale; s++ {
			raw.WriteByte(0) // filter: none
			raw.Write(row)
		}
	}

	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	zw.Write(raw.Bytes())
	zw.Close()

	var out bytes.Buffer
	out.Grow(z.Len() + 64)
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8] = 1 // bit depth
	ihdr[9] = 0 // colour type: grayscale
	writeChunk(&out, "IHDR", ihdr)
	writeChunk(&out, "IDAT", z.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes()
}

func writeChunk(w *bytes.Buffer, typ string, data []byte) {
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(data)))
	copy(hdr[4:], typ)
	w.Write(hdr[:])
	w.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	crc.Write(data)
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc.Sum32())
	w.Write(sum[:])
}

// QRCache keeps drawn PNGs by code, so a pass is drawn once however often
// its QR is fetched. Safe for concurrent use.
type QRCache struct{ c *lru.Cache[string, []byte] }

// NewQRCache holds up to n PNGs (about 2 KiB each).
func NewQRCache(n int) *QRCache {
	c, err := lru.New[string, []byte](n)
	if err != nil {
		panic(err) // only for n <= 0, a programming error
	}
	return &QRCache{c: c}
}

// PNG returns the cached PNG of code, drawing it on a miss.
func (q *QRCache) PNG(code string) ([]byte, error) {
	if b, ok := q.c.Get(code); ok {
		return b, nil
	}
	b, err := PNG(code)
	if err != nil {
		return nil, err
	}
	q.c.Add(code, b)
	return b, nil
}
