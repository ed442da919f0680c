import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline LR schedule vs torch CosineAnnealingWarmRestarts + GradualWarmupSchedulerV2")
struct PipelineScheduleTests {
    // The README's settings (3e-5/15, 3e-5/18 for B3, 2e-5/15, 1.5e-5/15), a short run, the DEBUG
    // length (5) and the shortest the original accepts (2).
    static let settings: [(Double, Int)] = [(3e-5, 15), (3e-5, 18), (2e-5, 15), (1.5e-5, 15), (1e-5, 4), (1.5e-5, 5), (3e-5, 2)]

    @Test func matchesTorch() throws {
        let extra = 3 // keep stepping past the last epoch to cover the restart arithmetic
        let keys = Self.settings.map { "\($0.0):\($0.1)" }
        let out = try Reference.run("pipeline_schedule.py", ["\(extra)"] + keys)
        var seen = [String: Int]()
        for line in out.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            guard f.count == 3, let k = keys.firstIndex(of: f[0]), let epoch = Int(f[1]), let want = Double(f[2]) else {
                Issue.record("unreadable reference line: \(line)")
                continue
            }
            let (initLR, nEpochs) = Self.settings[k]
            let got = LRSchedule.lr(epoch: epoch, initLR: initLR, nEpochs: nEpochs)
            #expect(abs(got - want) <= 1e-12 * abs(want),
                    "LR at epoch \(epoch) of (\(initLR), \(nEpochs)) diverged from torch: \(got) vs \(want)")
            seen[f[0], default: 0] += 1
        }
        for (k, s) in zip(keys, Self.settings) {
            #expect(seen[k] == s.1 + extra, "\(k): torch gave \(seen[k] ?? 0) epochs")
            #expect(LRSchedule.table(initLR: s.0, nEpochs: s.1).count == s.1)
        }
    }

    @Test func oneEpochRunsAtInitLR() {
        #expect(LRSchedule.table(initLR: 3e-5, nEpochs: 1) == [3e-5])
    }
}
