import CImage
import Foundation

/// Checks the JPEG files a dataset lists: present, non-empty and (optionally) a readable JPEG header.
/// Returns the byte size that the image_size feature is made from.
final class ImageFileChecker {
    let probe: Bool
    private(set) var dimensions: [String: Int] = [:]
    private(set) var missing = 0
    private(set) var unreadable = 0

    init(probe: Bool) { self.probe = probe }

    func check(_ r: RawRow, log: inout ProblemLog) -> Double {
        var st = stat()
        guard stat(r.filepath, &st) == 0 else {
            log.error(r.file, row: r.row, line: r.line, column: "image_name", "image file \(r.filepath) is missing")
            missing += 1
            return 1
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            log.error(r.file, row: r.row, line: r.line, column: "image_name", "\(r.filepath) is not a regular file")
            unreadable += 1
            return 1
        }
        guard st.st_size > 0 else {
            log.error(r.file, row: r.row, line: r.line, column: "image_name", "image file \(r.filepath) is empty")
            unreadable += 1
            return 1
        }
        if probe {
            switch JPEGProbe.dimensions(path: r.filepath) {
            case .success(let (w, h)): dimensions["\(w)x\(h)", default: 0] += 1
            case .failure(let why):
                log.error(r.file, row: r.row, line: r.line, column: "image_name",
                          "image file \(r.filepath) is not a readable JPEG (\(why.description))")
                unreadable += 1
            }
        }
        return Double(st.st_size)
    }
}

struct ProbeFailure: Error, CustomStringConvertible { let description: String }

enum JPEGProbe {
    /// Width and height from the JPEG header; reads the first 64 KiB and the whole file only if needed.
    static func dimensions(path: String) -> Result<(Int, Int), ProbeFailure> {
        guard let fh = FileHandle(forReadingAtPath: path) else { return .failure(ProbeFailure(description: "cannot open")) }
        defer { try? fh.close() }
        var data: Data
        do {
            data = try fh.read(upToCount: 65536) ?? Data()
        } catch {
            return .failure(ProbeFailure(description: "cannot read: \(error.localizedDescription)"))
        }
        guard data.count >= 3, data[0] == 0xFF, data[1] == 0xD8, data[2] == 0xFF else {
            return .failure(ProbeFailure(description: "no JPEG start marker"))
        }
        var result = header(data)
        if case .failure = result, data.count == 65536, let rest = try? fh.readToEnd() {
            data.append(rest)
            result = header(data)
        }
        return result
    }

    static func header(_ data: Data) -> Result<(Int, Int), ProbeFailure> {
        var w: Int32 = 0, h: Int32 = 0
        var err: UnsafeMutablePointer<CChar>?
        let rc = data.withUnsafeBytes { buf in
            ci_probe_jpeg(buf.bindMemory(to: UInt8.self).baseAddress, buf.count, &w, &h, &err)
        }
        if rc != 0 {
            let msg = err.map { String(cString: $0) } ?? "unreadable header"
            ci_free_buffer(err)
            return .failure(ProbeFailure(description: msg))
        }
        return .success((Int(w), Int(h)))
    }
}
