import Foundation
import Testing
@testable import Imaging
import TestSupport

/// Our transforms against albumentations 0.4.6's functional calls (opencv-python-headless 4.10.0.84; ours is
/// Debian's OpenCV 4.6.0) with the same parameters and the same noise fields.
@Suite(.serialized) struct ParityTests {
    /// How far we may be from the reference, and why.
    struct Tolerance {
        var maxAbs: Int
        /// Share of samples allowed to differ by more than 1.
        var over1: Double = 0
        var why: String
        static let exact = Tolerance(maxAbs: 0, why: "integer arithmetic, same in both")
    }

    struct Case {
        var name: String
        var steps: [AugmentStep]
        var tolerance: Tolerance
        var normalize = false
    }

    static let interpolation = Tolerance(
        maxAbs: 1, over1: 0,
        why: "fixed-point interpolation tables; OpenCV 4.6 vs 4.10 SIMD paths may round 1 level apart")
    /// Measured 0 differing pixels on this image; the margin covers map rounding on other images.
    static let remap = Tolerance(
        maxAbs: 2, over1: 0.0001,
        why: "maps computed in our C++ (initUndistortRectifyMap is in calib3d, which we do not link; scipy's float64 "
            + "gaussian_filter done in float32): a 1e-6 px map difference can move remap's 1/32-px table index")

    func run(_ cases: [Case], input: Image) throws {
        let dir = try Reference.temporaryDirectory("melanoma-parity")
        defer { try? FileManager.default.removeItem(at: dir) }
        try input.write(to: dir.appendingPathComponent("input.png"))
        var json: [[String: Any]] = []
        var ours: [Image] = []
        let encoder = JSONEncoder()
        for (c, item) in cases.enumerated() {
            var image = input
            var noise: [String: String] = [:]
            for (k, step) in item.steps.enumerated() {
                // Write the noise fields this step will draw, so python adds the same ones.
                switch step {
                case let .gaussNoise(sigma, seed):
                    let f = "case\(c)_\(k).f32"
                    try writeFloats(Image.noiseField(seed: seed, count: image.pixels.count, normalSigma: sigma),
                                    to: dir.appendingPathComponent(f))
                    noise["\(k)"] = f
                case let .elastic(_, _, _, seed):
                    let n = image.width * image.height
                    let f = "case\(c)_\(k).f32"
                    try writeFloats(Image.noiseField(seed: seed, count: n) + Image.noiseField(seed: seed &+ 1, count: n),
                                    to: dir.appendingPathComponent(f))
                    noise["\(k)"] = f
                default: break
                }
                image = try AugmentPipeline.applyOne(step, to: image)
            }
            ours.append(image)
            let steps = try JSONSerialization.jsonObject(with: encoder.encode(item.steps))
            json.append(["input": "input.png", "steps": steps, "noise": noise, "normalize": item.normalize])
        }
        try JSONSerialization.data(withJSONObject: json).write(to: dir.appendingPathComponent("cases.json"))
        try Reference.run("aug_replay.py", [dir.path])
        for (c, item) in cases.enumerated() {
            let ref = try readRaw(dir, "out_\(c)")
            guard let d = diff(ours[c], ref) else {
                Issue.record("\(item.name): size \(ours[c].width)x\(ours[c].height), albumentations \(ref.width)x\(ref.height)")
                continue
            }
            let t = item.tolerance
            if ProcessInfo.processInfo.environment["MELANOMA_PARITY_VERBOSE"] != nil { print("parity \(item.name): \(d)") }
            #expect(d.maxAbs <= t.maxAbs && d.fractionOver1 <= t.over1,
                    "\(item.name) vs albumentations 0.4.6: \(d); allowed max \(t.maxAbs), >1 share \(t.over1) (\(t.why))")
            if item.normalize {
                let refCHW = try readFloats(dir.appendingPathComponent("out_\(c).chw"))
                let chw = ours[c].normalizedCHW()
                #expect(refCHW.count == chw.count)
                let worst = zip(chw, refCHW).map { abs($0 - $1) }.max() ?? 0
                // Same float32 operations in the same order: equal bits when the uint8 input is equal.
                #expect(d.maxAbs > 0 || worst == 0, "\(item.name): Normalize differs by \(worst) on equal pixels")
            }
        }
    }

    @Test func eachTransformMatchesAlbumentations() throws {
        let input = try readRaw(Fixtures.get(), "photo")
        let cases: [Case] = [
            Case(name: "Transpose", steps: [.transpose], tolerance: .exact),
            Case(name: "VerticalFlip", steps: [.verticalFlip], tolerance: .exact),
            Case(name: "HorizontalFlip", steps: [.horizontalFlip], tolerance: .exact),
            Case(name: "RandomBrightness +0.17", steps: [.brightness(beta: 0.17)], tolerance: .exact),
            Case(name: "RandomBrightness -0.2", steps: [.brightness(beta: -0.2)], tolerance: .exact),
            Case(name: "RandomContrast 1.13", steps: [.contrast(alpha: 1.13)], tolerance: .exact),
            Case(name: "RandomContrast 0.81", steps: [.contrast(alpha: 0.81)], tolerance: .exact),
            Case(name: "MotionBlur k3", steps: [.motionBlur(kernelSize: 3, xs: 0, ys: 2, xe: 2, ye: 0)], tolerance: Self.interpolation),
            Case(name: "MotionBlur k5", steps: [.motionBlur(kernelSize: 5, xs: 1, ys: 0, xe: 3, ye: 4)], tolerance: Self.interpolation),
            Case(name: "MedianBlur k3", steps: [.medianBlur(kernelSize: 3)], tolerance: .exact),
            Case(name: "MedianBlur k5", steps: [.medianBlur(kernelSize: 5)], tolerance: .exact),
            Case(name: "GaussianBlur k3", steps: [.gaussianBlur(kernelSize: 3)], tolerance: Self.interpolation),
            Case(name: "GaussianBlur k5", steps: [.gaussianBlur(kernelSize: 5)], tolerance: Self.interpolation),
            Case(name: "GaussNoise var 30", steps: [.gaussNoise(sigma: 30.0.squareRoot(), seed: 11)],
                 tolerance: Tolerance(maxAbs: 1, why: "float32 sum vs numpy's float64 before truncation")),
            Case(name: "OpticalDistortion k=0.8", steps: [.opticalDistortion(k: 0.8, dx: 0, dy: 0)], tolerance: Self.remap),
            Case(name: "OpticalDistortion k=-0.9", steps: [.opticalDistortion(k: -0.9, dx: 0, dy: 0)], tolerance: Self.remap),
            Case(name: "GridDistortion", steps: [.gridDistortion(numSteps: 5, xSteps: [1.7, 0.4, 1.2, 0.1, 1.9, 1.0],
                                                                 ySteps: [0.3, 1.5, 0.8, 1.95, 0.6, 1.1])], tolerance: Self.interpolation),
            Case(name: "ElasticTransform", steps: [.elastic(alpha: 3, sigma: 50, jitter: [12.5, -40.25, 3, 44, -17.75, 8], seed: 5)],
                 tolerance: Self.remap),
            // alpha 1500 makes the smoothed field move pixels by tens of px, so its computation is what is tested.
            Case(name: "ElasticTransform alpha 1500", steps: [.elastic(alpha: 1500, sigma: 50, jitter: [0, 0, 0, 0, 0, 0], seed: 9)],
                 tolerance: Tolerance(maxAbs: 12, over1: 0.002,
                                      why: "the sigma-50 filter is exact on every 8th pixel, cubic in between (within 2e-6 of "
                                          + "scipy: ~3e-3 px at this alpha, shifting remap's 1/32-px index on a few pixels)")),
            Case(name: "CLAHE 3.1", steps: [.clahe(clipLimit: 3.1, tiles: 8)], tolerance: Self.interpolation),
            Case(name: "HueSaturationValue", steps: [.hsv(hue: -7.3, saturation: 14.6, value: -9.9)], tolerance: .exact),
            Case(name: "HueSaturationValue wrap", steps: [.hsv(hue: 9.5, saturation: -19.2, value: 6.1)], tolerance: .exact),
            Case(name: "ShiftScaleRotate", steps: [.shiftScaleRotate(angle: 13.7, scale: 1.08, dx: -0.07, dy: 0.09)],
                 tolerance: Self.interpolation),
            Case(name: "Resize 256", steps: [.resize(size: 256)], tolerance: Self.interpolation),
            Case(name: "Resize 128", steps: [.resize(size: 128)], tolerance: Self.interpolation),
            Case(name: "Cutout", steps: [.resize(size: 256), .cutout(holes: [Image.Hole(x1: 200, y1: 0, x2: 256, y2: 96)])],
                 tolerance: Self.interpolation, normalize: true),
            Case(name: "Normalize", steps: [], tolerance: .exact, normalize: true),
        ]
        try run(cases, input: input)
    }

    /// Whole training plans drawn by our generator, replayed step by step with albumentations' functional calls:
    /// checks order and composition (including the fused flip/LUT pass) as well as each step.
    @Test func drawnPlansReplayLikeAlbumentations() throws {
        let input = try readRaw(Fixtures.get(), "photo")
        let pipeline = AugmentPipeline(.train(imageSize: 192))
        var cases: [Case] = []
        for index in 0 ..< 24 {
            var rng = SampleRandom(seed: 2020, epoch: 1, index: index)
            let steps = pipeline.plan(using: &rng)
            let fused = try pipeline.apply(steps, to: input)
            let stepwise = try steps.reduce(input) { try AugmentPipeline.applyOne($1, to: $0) }
            #expect(fused == stepwise, "plan \(index): fused flip/LUT pass differs from step by step")
            cases.append(Case(name: "plan \(index) \(steps.map { "\($0)".prefix(14) })", steps: steps,
                              tolerance: Tolerance(maxAbs: 4, over1: 0.001, why: "per-step tolerances composed; CLAHE can stretch a 1-level noise difference"),
                              normalize: true))
        }
        try run(cases, input: input)
    }
}
