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
            throw PipelineError("cannot append to the log \(url.path): \(error.localizedDescription)")
        }
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

/// A one-line live progress bar (batch loss, smoothed loss, images/s, ETA) in the spirit of the
/// original's tqdm bar. It draws only when enabled, which by default means stderr is a terminal,
/// so logs and pipes stay clean.
public final class ProgressBar: @unchecked Sendable {
    public let total: Int
    public let label: String
    public let isEnabled: Bool
    private let write: (String) -> Void
    private let clock: () -> Double
    private let start: Double
    private var lastDraw = -Double.infinity
    private var recent: [Double] = []
    private var images = 0
    public private(set) var done = 0

    /// - Parameters:
    ///   - total: batches in the epoch.
    ///   - enabled: nil means "stderr is a TTY".
    ///   - write: where frames go (stderr by default).
    public init(total: Int, label: String, enabled: Bool? = nil, clock: @escaping () -> Double = ProgressBar.now,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.label = label
        self.isEnabled = enabled ?? (isatty(STDERR_FILENO) != 0)
        self.clock = clock
        self.write = write
        start = clock()
    }

    public static func now() -> Double { Date().timeIntervalSinceReferenceDate }

    /// The mean of the last 100 batch losses (tqdm's "smth" in the original).
    public var smoothLoss: Double { recent.isEmpty ? .nan : recent.reduce(0, +) / Double(recent.count) }

    /// Records one finished batch of `batchImages` images with loss `loss`; redraws at most 10 times
    /// a second (always on the last batch).
    public func step(loss: Double, batchImages: Int) {
        done += 1
        images += batchImages
        recent.append(loss)
        if recent.count > 100 { recent.removeFirst(recent.count - 100) }
        guard isEnabled else { return }
        let t = clock()
        if t - lastDraw < 0.1 && done < total { return }
        lastDraw = t
        let elapsed = t - start
        let rate = elapsed > 0 ? Double(images) / elapsed : 0
        let eta = done > 0 ? elapsed / Double(done) * Double(max(0, total - done)) : .nan
        write("\r" + ProgressBar.render(label: label, done: done, total: total, loss: loss, smooth: smoothLoss,
                                        imagesPerSecond: rate, elapsed: elapsed, eta: eta) + "\u{1B}[K")
    }

    /// Ends the bar's line so the next output starts clean.
    public func finish() {
        if isEnabled && done > 0 { write("\n") }
    }

    /// One frame: `label  45%|#####·····| 45/100 [00:12<00:15, 230.1 img/s] loss: 0.12345, smth: 0.23456`.
    public static func render(label: String, done: Int, total: Int, loss: Double, smooth: Double,
                              imagesPerSecond: Double, elapsed: Double, eta: Double, width: Int = 20) -> String {
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let filled = Int((frac * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let pct = String(format: "%3d%%", Int((frac * 100).rounded(.down)))
        return "\(label) \(pct)|\(bar)| \(done)/\(total) [\(clock(elapsed))<\(clock(eta)), "
            + String(format: "%.1f img/s", imagesPerSecond) + "] loss: \(TrainLog.fixed(loss, 5)), smth: \(TrainLog.fixed(smooth, 5))"
    }

    /// mm:ss, or h:mm:ss past an hour; "?" when unknown.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
