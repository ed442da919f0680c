import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline LR schedule vs torch CosineAnnealingWarmRestarts + GradualWarmupSchedulerV2")
struct PipelineScheduleTests {
    // The README's settings (3e-5/15, 3e-5/18 for B3, 2e-5/15), a short run, the DEBUG length (5)
    // and the shortest the original accepts (2).
    @Test(arguments: [(3e-5, 15), (3e-5, 18), (2e-5, 15), (1e-5, 4), (1.5e-5, 5), (3e-5, 2)])
    func matchesTorch(initLR: Double, nEpochs: Int) throws {
        let extra = 3 // keep stepping past the last epoch to cover the restart arithmetic
        let out = try Reference.run("pipeline_schedule.py", ["\(initLR)", "\(nEpochs)", "\(extra)"])
        let want = out.split(separator: "\n").compactMap { Double($0) }
        #expect(want.count == nEpochs + extra)
        for (i, w) in want.enumerated() {
            let got = LRSchedule.lr(epoch: i + 1, initLR: initLR, nEpochs: nEpochs)
            #expect(abs(got - w) <= 1e-12 * abs(w),
                    "LR at epoch \(i + 1) of (\(initLR), \(nEpochs)) diverged from torch: \(got) vs \(w)")
        }
        #expect(LRSchedule.table(initLR: initLR, nEpochs: nEpochs).count == nEpochs)
    }

    @Test func oneEpochRunsAtInitLR() {
        #expect(LRSchedule.table(initLR: 3e-5, nEpochs: 1) == [3e-5])
    }
}
