import Basics
import Foundation
import Imaging

/// How closely the image files a dataset lists are looked at.
public enum ImageCheck: String, Sendable {
    /// Present, a regular file, not empty; the byte size feeds the image_size feature (what training needs).
    case exists
    /// Also the header: JPEG or PNG by content, with a size (`check-data --quick`).
    case header
    /// Also every pixel decoded, so a truncated or corrupt file is found before training reaches it
    /// (`check-data`'s default).
    case decode
}

/// Checks the image files of the given rows, in parallel when headers or pixels are read, and logs every
/// problem by file, row and column. Returns each row's byte size (1 when unusable), which image_size uses.
enum ImageFileChecker {
    struct Outcome: Sendable {
        var bytes: Double = 1
        var problem: String?
        var warning: String?
        var dimensions: String?
    }

    static func check(_ rows: [RawRow], mode: ImageCheck, log: inout ProblemLog, report: inout DataReport,
                      progress: (@Sendable (Int, Int) -> Void)?) -> [Double] {
        let outcomes = OutcomeBuffer(count: rows.count)
        let done = Counter()
        let work: @Sendable (Int) -> Void = { i in
            outcomes.set(i, inspect(rows[i].filepath, mode: mode))
            if let progress { progress(done.increment(), rows.count) }
        }
        if mode == .exists {
            (0 ..< rows.count).forEach(work)
        } else {
            try? Parallel.forEach(rows.count) { work($0) }
        }
        var sizes = [Double](repeating: 1, count: rows.count)
        for (i, r) in rows.enumerated() {
            let o = outcomes.get(i)
            sizes[i] = o.bytes
            if let p = o.problem {
                log.error(r.file, row: r.row, line: r.line, column: "image_name", p)
                if p.contains("is missing") { report.imagesMissing += 1 } else { report.imagesUnreadable += 1 }
            }
            if let w = o.warning { log.warning(r.file, row: r.row, line: r.line, column: "image_name", w) }
            if let d = o.dimensions { report.imageDimensions[d, default: 0] += 1 }
        }
        report.imagesChecked += rows.count
        return sizes
    }

    static func inspect(_ path: String, mode: ImageCheck) -> Outcome {
        var out = Outcome()
        var st = stat()
        guard stat(path, &st) == 0 else { out.problem = "image file \(path) is missing"; return out }
        guard (st.st_mode & S_IFMT) == S_IFREG else { out.problem = "\(path) is not a regular file"; return out }
        guard st.st_size > 0 else { out.problem = "image file \(path) is empty"; return out }
        out.bytes = Double(st.st_size)
        guard mode != .exists else { return out }
        let url = URL(fileURLWithPath: path)
        do {
            let plan = try Image.plan(contentsOf: url)
            out.dimensions = "\(plan.storedWidth)x\(plan.storedHeight)"
            let ext = url.pathExtension.lowercased()
            if !plan.format.extensions.contains(ext) {
                out.warning = "\(path) holds a \(plan.format.rawValue.uppercased()) image under a .\(ext) name; it is "
                    + "read by its content (as cv2.imread does), but the name misleads other tools"
            }
            // Decoding reduced in the DCT still reads every coded byte, so damage is found at a fraction of the cost.
            if mode == .decode { _ = try Image(contentsOf: url, minSide: min(64, plan.storedWidth, plan.storedHeight)) }
        } catch {
            out.problem = "image file cannot be used: \(error)"
        }
        return out
    }

    private final class OutcomeBuffer: @unchecked Sendable {
        private var items: [Outcome]
        private let lock = NSLock()
        init(count: Int) { items = Array(repeating: Outcome(), count: count) }
        func set(_ i: Int, _ o: Outcome) { lock.lock(); items[i] = o; lock.unlock() }
        func get(_ i: Int) -> Outcome { lock.lock(); defer { lock.unlock() }; return items[i] }
    }

    private final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func increment() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
    }
}
