import Basics
import Foundation

/// The original's text log: one line per epoch in train.py's format, appended to
/// `{log_dir}/log_{kernel_type}.txt` (evaluate.py appends its AUC block to the same file).
public struct TrainLog: Sendable {
    public let url: URL

    public init(logDir: URL, kernelType: String) {
        url = logDir.appendingPathComponent(TrainLog.fileName(kernelType: kernelType))
    }

    public static func fileName(kernelType: String) -> String { "log_\(kernelType).txt" }

    /// Any append-only text file (the JSON-lines history next to the log uses this too).
    public init(url: URL) { self.url = url }

    /// Appends `text` plus a newline, creating the folder and file if needed (Python's open(..., 'a')).
    public func append(_ text: String) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !fm.fileExists(atPath: url.path) { _ = fm.createFile(atPath: url.path, contents: nil) }
            let fh = try FileHandle(forWritingTo: url)
            defer { try? fh.close() }
            try fh.seekToEnd()
            try fh.write(contentsOf: Data((text + "\n").utf8))
        } catch {
            throw RunError(.logDir, "cannot append to the log \(url.path): \(error.localizedDescription)")
        }
    }

    /// Removes the epoch lines of `fold` after epoch `after` from the end of the log: the lines a killed run
    /// wrote past its last resume point, which the resumed run writes again. Earlier lines (older runs,
    /// evaluate blocks) are kept; the log is rewritten atomically only when something is dropped.
    public func dropEpochs(fold: Int, after: Int) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let count = lines.count
        while let last = lines.last, let e = TrainLog.epoch(ofLine: last, fold: fold), e > after { lines.removeLast() }
        guard lines.count < count else { return }
        do { try AtomicFile.write(lines.map { $0 + "\n" }.joined(), to: url) } catch {
            throw RunError(.logDir, "cannot rewrite the log \(url.path): \(error)")
        }
    }

    /// The epoch of an epoch line of `fold`, nil for any other line.
    static func epoch(ofLine line: String, fold: Int) -> Int? {
        guard let r = line.range(of: " Fold \(fold), Epoch ") else { return nil }
        return Int(line[r.upperBound...].prefix { $0.isNumber })
    }

    /// train.py's epoch line:
    /// `<ctime> Fold f, Epoch e, lr: {:.7f}, train loss: {:.5f}, valid loss: {:.5f}, acc: {:.4f}, auc: {:.6f}, auc_20: {:.6f}.`
    public static func epochLine(date: Date = Date(), timeZone: TimeZone = .current, fold: Int, epoch: Int, lr: Double,
                                 trainLoss: Double, validLoss: Double, acc: Double, auc: Double, auc20: Double) -> String {
        ctime(date, timeZone: timeZone) + " "
            + "Fold \(fold), Epoch \(epoch), lr: \(fixed(lr, 7)), train loss: \(fixed(trainLoss, 5)), "
            + "valid loss: \(fixed(validLoss, 5)), acc: \(fixed(acc, 4)), auc: \(fixed(auc, 6)), "
            + "auc_20: \(fixed(auc20, 6))."
    }

    /// evaluate.py's block, `{:.5f}` values; it ends with a newline and `append` adds another, as
    /// the original's `appender.write(content + '\n')`.
    public static func evalBlock(eval: String, scores s: OOFScores) -> String {
        "Eval \(eval):\nauc_all_raw : \(fixed(s.aucAllRaw, 5))\nauc_all_rank : \(fixed(s.aucAllRank, 5))\n"
            + "auc_20_raw : \(fixed(s.aucTwentyRaw, 5))\nauc_20_rank : \(fixed(s.aucTwentyRank, 5))\n"
    }

    /// Python's `time.ctime()`: `Www Mmm dd hh:mm:ss yyyy`, the day padded with a space.
    public static func ctime(_ date: Date, timeZone: TimeZone = .current) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.weekday, .month, .day, .hour, .minute, .second, .year], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let wd = days[((c.weekday ?? 1) - 1) % 7], mo = months[((c.month ?? 1) - 1) % 12]
        return wd + " " + mo + String(format: "%3d %02d:%02d:%02d ", c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
            + String(c.year ?? 0)
    }

    /// Python's `format(x, '.Nf')`; glibc's printf rounds the exact binary value the same way, and
    /// NaN is spelled as Python does.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        return String(format: "%.\(digits)f", x)
    }

}
