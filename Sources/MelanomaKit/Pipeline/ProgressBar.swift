import Foundation

/// Progress of long work, in the spirit of the original's tqdm bar. On a terminal it redraws one line at most
/// ten times a second (done/total, images/s, elapsed<ETA, and for training the batch and smoothed loss);
/// piped to a file it prints a plain line every `interval` seconds instead, so logs show progress too.
/// Thread-safe: loader or checker threads may report.
public final class ProgressBar: @unchecked Sendable {
    public enum Style: Sendable { case bar, lines, off }

    public let label: String
    public let style: Style
    private var total: Int
    private let interval: Double
    private let write: (String) -> Void
    private let clock: () -> Double
    private let start: Double
    private let lock = NSLock()
    private var lastDraw: Double
    private var recent: [Double] = []
    private var lastLoss = Double.nan
    private var images = 0
    public private(set) var done = 0

    /// - Parameters:
    ///   - total: steps (batches, files) expected.
    ///   - enabled: true draws a bar, false draws nothing, nil picks a bar on a terminal and lines otherwise.
    ///   - style: when given, this style whatever `enabled` says.
    ///   - interval: seconds between lines when not on a terminal.
    ///   - write: where frames go (stderr by default).
    public init(total: Int, label: String, enabled: Bool? = nil, style: Style? = nil, interval: Double = 30,
                clock: @escaping () -> Double = ProgressBar.now,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.label = label
        switch (style, enabled) {
        case (let s?, _): self.style = s
        case (nil, true?): self.style = .bar
        case (nil, false?): self.style = .off
        case (nil, nil): self.style = isatty(STDERR_FILENO) != 0 ? .bar : .lines
        }
        self.interval = interval
        self.clock = clock
        self.write = write
        start = clock()
        lastDraw = start
    }

    public static func now() -> Double { Date().timeIntervalSinceReferenceDate }

    /// The mean of the last 100 batch losses (tqdm's "smth" in the original).
    public var smoothLoss: Double {
        lock.lock()
        defer { lock.unlock() }
        return recent.isEmpty ? .nan : recent.reduce(0, +) / Double(recent.count)
    }

    /// Records one finished training batch of `batchImages` images with loss `loss`.
    public func step(loss: Double, batchImages: Int) {
        lock.lock()
        done += 1
        images += batchImages
        lastLoss = loss
        recent.append(loss)
        if recent.count > 100 { recent.removeFirst(recent.count - 100) }
        lock.unlock()
        redraw()
    }

    /// Records progress of work counted in items (files checked, images predicted): `done` of `total`.
    public func update(done: Int, total: Int) {
        lock.lock()
        self.done = max(self.done, done)
        self.total = total
        images = self.done
        lock.unlock()
        redraw()
    }

    private func redraw() {
        guard style != .off else { return }
        lock.lock()
        defer { lock.unlock() }
        let t = clock()
        let minGap = style == .bar ? 0.1 : interval
        if t - lastDraw < minGap && done < total { return }
        if style == .lines && done >= total && t - start < interval { return }  // short work needs no line
        lastDraw = t
        let elapsed = t - start
        let rate = elapsed > 0 ? Double(images) / elapsed : 0
        let eta = done > 0 ? elapsed / Double(done) * Double(max(0, total - done)) : .nan
        let smooth = recent.isEmpty ? Double.nan : recent.reduce(0, +) / Double(recent.count)
        let frame = ProgressBar.render(label: label, done: done, total: total, loss: recent.isEmpty ? nil : lastLoss,
                                       smooth: smooth, imagesPerSecond: rate, elapsed: elapsed, eta: eta)
        write(style == .bar ? "\r" + frame + "\u{1B}[K" : frame + "\n")
    }

    /// Ends the bar's line so the next output starts clean.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if style == .bar && done > 0 { write("\n") }
    }

    /// One frame: `label  45%|#########           | 45/100 [00:12<00:15, 230.1 img/s] loss: 0.12345, smth: 0.23456`.
    public static func render(label: String, done: Int, total: Int, loss: Double?, smooth: Double,
                              imagesPerSecond: Double, elapsed: Double, eta: Double, width: Int = 20) -> String {
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let filled = Int((frac * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let pct = String(format: "%3d%%", Int((frac * 100).rounded(.down)))
        var s = "\(label) \(pct)|\(bar)| \(done)/\(total) [\(clock(elapsed))<\(clock(eta)), "
            + String(format: "%.1f img/s", imagesPerSecond) + "]"
        if let loss { s += " loss: \(TrainLog.fixed(loss, 5)), smth: \(TrainLog.fixed(smooth, 5))" }
        return s
    }

    /// mm:ss, or h:mm:ss past an hour; "?" when unknown.
    public static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
