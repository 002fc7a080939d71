package x837

// segID packs a segment ID of one to three bytes with its length into an
// integer for the decoder's dispatch; longer IDs, which no segment the
// decoder reads has, give 0.
func segID(id []byte) uint32 {
	switch len(id) {
	case 2:
		return 2<<24 | uint32(id[0]) | uint32(id[1])<<8
	case 3:
		return 3<<24 | uint32(id[0]) | uint32(id[1])<<8 | uint32(id[2])<<16
	case 1:
		return 1<<24 | uint32(id[0])
	}
	return 0
}

// The IDs of the segments the decoder reads, as segID packs them.
const (
	idISA = 3<<24 | 'I' | 'S'<<8 | 'A'<<16
	idIEA = 3<<24 | 'I' | 'E'<<8 | 'A'<<16
	idGS  = 2<<24 | 'G' | 'S'<<8
	idGE  = 2<<24 | 'G' | 'E'<<8
	idST  = 2<<24 | 'S' | 'T'<<8
	idSE  = 2<<24 | 'S' | 'E'<<8
	idBHT = 3<<24 | 'B' | 'H'<<8 | 'T'<<16
	idHL  = 2<<24 | 'H' | 'L'<<8
	idCLM = 3<<24 | 'C' | 'L'<<8 | 'M'<<16
	idNM1 = 3<<24 | 'N' | 'M'<<8 | '1'<<16
	idN3  = 2<<24 | 'N' | '3'<<8
	idN4  = 2<<24 | 'N' | '4'<<8
	idPER = 3<<24 | 'P' | 'E'<<8 | 'R'<<16
	idPRV = 3<<24 | 'P' | 'R'<<8 | 'V'<<16
	idREF = 3<<24 | 'R' | 'E'<<8 | 'F'<<16
	idDMG = 3<<24 | 'D' | 'M'<<8 | 'G'<<16
	idSBR = 3<<24 | 'S' | 'B'<<8 | 'R'<<16
	idPAT = 3<<24 | 'P' | 'A'<<8 | 'T'<<16
	idDTP = 3<<24 | 'D' | 'T'<<8 | 'P'<<16
	idCL1 = 3<<24 | 'C' | 'L'<<8 | '1'<<16
	idNTE = 3<<24 | 'N' | 'T'<<8 | 'E'<<16
	idHI  = 2<<24 | 'H' | 'I'<<8
	idCAS = 3<<24 | 'C' | 'A'<<8 | 'S'<<16
	idAMT = 3<<24 | 'A' | 'M'<<8 | 'T'<<16
	idOI  = 2<<24 | 'O' | 'I'<<8
	idLX  = 2<<24 | 'L' | 'X'<<8
	idSV1 = 3<<24 | 'S' | 'V'<<8 | '1'<<16
	idSV2 = 3<<24 | 'S' | 'V'<<8 | '2'<<16
	idLIN = 3<<24 | 'L' | 'I'<<8 | 'N'<<16
	idCTP = 3<<24 | 'C' | 'T'<<8 | 'P'<<16
	idSVD = 3<<24 | 'S' | 'V'<<8 | 'D'<<16
)
