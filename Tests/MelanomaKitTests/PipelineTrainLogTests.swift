import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline train log vs Python's formatting")
struct PipelineTrainLogTests {
    @Test func linesMatchPython() throws {
        let out = try Reference.run("pipeline_trainlog.py")
        var counts = [String: Int]()
        for record in out.split(separator: "\n") {
            let f = record.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            counts[f[0], default: 0] += 1
            switch f[0] {
            case "ctime":
                let date = Date(timeIntervalSince1970: try parseDouble(f[1], "unix time"))
                #expect(TrainLog.ctime(date) == f[2], "time.ctime(\(f[1])) in the local zone")
                #expect(TrainLog.ctime(date, timeZone: TimeZone(identifier: "UTC")!) == f[3], "asctime(gmtime(\(f[1])))")
            case "line":
                let v = try f[3 ... 8].map { try parseDouble($0, "log value") }
                let got = TrainLog.epochLine(fold: Int(f[1]) ?? -1, epoch: Int(f[2]) ?? -1, lr: v[0], trainLoss: v[1],
                                             validLoss: v[2], acc: v[3], auc: v[4], auc20: v[5])
                // The time stamp is ours; everything after it must be Python's text exactly.
                let want = f[9]
                #expect(got.dropFirst(25) == want.dropFirst(25), "epoch line diverged from train.py's f-string")
                #expect(got.count - 25 == want.count - 25)
            default:
                Issue.record("unknown record \(f[0])")
            }
        }
        #expect(counts["ctime"] == 9 && (counts["line"] ?? 0) > 200)
    }

    @Test func appendsToTheLogFile() throws {
        let dir = try Reference.temporaryDirectory("pipeline-log")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = TrainLog(logDir: dir.appendingPathComponent("logs"), kernelType: "9c_b4ns_448_ext_15ep-newfold")
        #expect(log.url.lastPathComponent == "log_9c_b4ns_448_ext_15ep-newfold.txt")
        try log.append("first")
        try log.append("second")
        #expect(try String(contentsOf: log.url, encoding: .utf8) == "first\nsecond\n")
    }

    @Test func progressBarDrawsOnlyWhenEnabled() {
        var frames: [String] = []
        var t = 0.0
        let bar = ProgressBar(total: 4, label: "train", enabled: true, clock: { t }, write: { frames.append($0) })
        for i in 0 ..< 4 { t += 1; bar.step(loss: Double(i), batchImages: 64) }
        bar.finish()
        #expect(frames.count == 5 && frames.last == "\n")
        // after 4 s: 256 images, 64 img/s, done; smth is the mean of 0,1,2,3
        #expect(frames[3] == "\rtrain 100%|####################| 4/4 [00:04<00:00, 64.0 img/s] loss: 3.00000, smth: 1.50000\u{1B}[K")
        #expect(frames[1].contains(" 50%|##########          | 2/4 [00:02<00:02, 64.0 img/s]"))

        var silent: [String] = []
        let off = ProgressBar(total: 4, label: "x", enabled: false, write: { silent.append($0) })
        off.step(loss: 1, batchImages: 1)
        off.finish()
        #expect(silent.isEmpty && off.smoothLoss == 1)

        #expect(ProgressBar.clock(3725) == "1:02:05" && ProgressBar.clock(65) == "01:05" && ProgressBar.clock(.nan) == "?")
    }

    @Test func progressPipedToAFileIsAPlainLineEveryInterval() {
        var lines: [String] = []
        var t = 0.0
        let bar = ProgressBar(total: 100, label: "Fold 0, Epoch 1", style: .lines, interval: 30, clock: { t },
                              write: { lines.append($0) })
        for _ in 0 ..< 100 { t += 1; bar.step(loss: 0.5, batchImages: 32) }  // 100 s of work
        bar.finish()
        #expect(lines.count == 4, "at 30, 60, 90 s and at the end: \(lines)")
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") && !$0.contains("\u{1B}") })
        #expect(lines[0].contains("30/100 [00:30<01:10, 32.0 img/s]"), "\(lines[0])")
        // Work shorter than the interval prints nothing.
        var quiet: [String] = []
        let short = ProgressBar(total: 3, label: "x", style: .lines, interval: 30, clock: { t }, write: { quiet.append($0) })
        for _ in 0 ..< 3 { t += 1; short.step(loss: 1, batchImages: 1) }
        #expect(quiet.isEmpty)
    }
}
