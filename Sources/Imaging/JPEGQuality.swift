import Foundation

/// The libjpeg quality (1-100) a JPEG was written with, read off its luminance quantisation table: the table
/// of the standard IJG scaling that matches it best. nil for data that is not a JPEG with such a table.
public enum JPEGQuality {
    /// IJG's standard luminance table, natural (row-major) order.
    static let luminance: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    /// Zig-zag position -> natural index.
    static let natural: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ]

    /// The table libjpeg's `jpeg_set_quality(q, force_baseline=TRUE)` writes, in zig-zag order.
    static func table(quality q: Int) -> [Int] {
        let scale = q < 50 ? 5000 / q : 200 - 2 * q
        return natural.map { min(255, max(1, (luminance[$0] * scale + 50) / 100)) }
    }

    public static func estimate(_ data: Data) -> Int? {
        guard let found = luminanceTable(data) else { return nil }
        var best: (q: Int, err: Int)? = nil
        for q in 1 ... 100 {
            let err = zip(table(quality: q), found).reduce(0) { $0 + abs($1.0 - $1.1) }
            if best == nil || err < best!.err { best = (q, err) }
        }
        return best?.q
    }

    /// Table 0 of the first DQT segment (zig-zag order), 8- or 16-bit entries.
    static func luminanceTable(_ data: Data) -> [Int]? {
        let b = [UInt8](data.prefix(1 << 16))
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xD8 || marker == 0x01 || (0xD0 ... 0xD7).contains(marker) { i += 2; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }
            let len = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if marker == 0xDB {
                var j = i + 4
                while j < min(i + 2 + len, b.count) {
                    let precision = b[j] >> 4, id = b[j] & 0x0F
                    let n = precision == 0 ? 64 : 128
                    guard j + 1 + n <= b.count else { return nil }
                    let entries = (0 ..< 64).map { k in
                        precision == 0 ? Int(b[j + 1 + k]) : Int(b[j + 1 + 2 * k]) << 8 | Int(b[j + 2 + 2 * k])
                    }
                    if id == 0 { return entries }
                    j += 1 + n
                }
            }
            i += 2 + len
        }
        return nil
    }
}
