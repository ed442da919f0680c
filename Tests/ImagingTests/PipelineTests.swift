import Foundation
import Testing
@testable import Imaging

/// The drawn parameters follow the original's probabilities and ranges, and depend only on (seed, epoch, index).
struct PipelineTests {
    static let n = 6000

    func plans(_ config: AugmentConfig = .train(imageSize: 384)) -> [[AugmentStep]] {
        let p = AugmentPipeline(config)
        return (0 ..< Self.n).map { i in
            var rng = SampleRandom(seed: 42, epoch: 3, index: i)
            return p.plan(using: &rng)
        }
    }

    func share(_ plans: [[AugmentStep]], _ match: (AugmentStep) -> Bool) -> Double {
        Double(plans.filter { $0.contains(where: match) }.count) / Double(plans.count)
    }

    @Test func probabilitiesMatchTheOriginal() {
        let ps = plans()
        // 4 sigma of a binomial share at n = 6000 is about 0.026.
        let checks: [(String, Double, (AugmentStep) -> Bool)] = [
            ("Transpose", 0.5, { if case .transpose = $0 { true } else { false } }),
            ("VerticalFlip", 0.5, { if case .verticalFlip = $0 { true } else { false } }),
            ("HorizontalFlip", 0.5, { if case .horizontalFlip = $0 { true } else { false } }),
            ("RandomBrightness", 0.75, { if case .brightness = $0 { true } else { false } }),
            ("RandomContrast", 0.75, { if case .contrast = $0 { true } else { false } }),
            ("MotionBlur", 0.7 / 4, { if case .motionBlur = $0 { true } else { false } }),
            ("MedianBlur", 0.7 / 4, { if case .medianBlur = $0 { true } else { false } }),
            ("GaussianBlur", 0.7 / 4, { if case .gaussianBlur = $0 { true } else { false } }),
            ("GaussNoise", 0.7 / 4, { if case .gaussNoise = $0 { true } else { false } }),
            ("OpticalDistortion", 0.7 / 3, { if case .opticalDistortion = $0 { true } else { false } }),
            ("GridDistortion", 0.7 / 3, { if case .gridDistortion = $0 { true } else { false } }),
            ("ElasticTransform", 0.7 / 3, { if case .elastic = $0 { true } else { false } }),
            ("CLAHE", 0.7, { if case .clahe = $0 { true } else { false } }),
            ("HueSaturationValue", 0.5, { if case .hsv = $0 { true } else { false } }),
            ("ShiftScaleRotate", 0.85, { if case .shiftScaleRotate = $0 { true } else { false } }),
            ("Resize", 1, { if case .resize = $0 { true } else { false } }),
            ("Cutout", 0.7, { if case .cutout = $0 { true } else { false } }),
        ]
        for (name, p, match) in checks {
            let s = share(ps, match)
            #expect(abs(s - p) < 0.026, "\(name): applied to \(s) of samples, the original's p is \(p)")
        }
    }

    @Test func rangesMatchTheOriginal() {
        for plan in plans() {
            for step in plan {
                switch step {
                case .brightness(let b): #expect(abs(b) <= 0.2)
                case .contrast(let a): #expect(a >= 0.8 && a <= 1.2)
                case let .motionBlur(k, xs, ys, xe, ye):
                    #expect([3, 5].contains(k) && [xs, ys, xe, ye].allSatisfy { (0 ..< k).contains($0) })
                    #expect(xs != xe || ys != ye, "motion kernel is a single point")
                case .medianBlur(let k), .gaussianBlur(let k): #expect([3, 5].contains(k))
                case .gaussNoise(let sigma, _): #expect(sigma * sigma >= 5 && sigma * sigma <= 30)
                case let .opticalDistortion(k, dx, dy): #expect(abs(k) <= 1 && dx == 0 && dy == 0)
                case let .gridDistortion(n, xs, ys):
                    #expect(n == 5 && xs.count == 6 && ys.count == 6 && (xs + ys).allSatisfy { $0 >= 0 && $0 <= 2 })
                case let .elastic(alpha, sigma, jitter, _):
                    #expect(alpha == 3 && sigma == 50 && jitter.allSatisfy { abs($0) <= 50 })
                case .clahe(let c, let t): #expect(c >= 1 && c <= 4 && t == 8)
                case let .hsv(h, s, v): #expect(abs(h) <= 10 && abs(s) <= 20 && abs(v) <= 10)
                case let .shiftScaleRotate(a, s, dx, dy):
                    #expect(abs(a) <= 15 && s >= 0.9 && s <= 1.1 && abs(dx) <= 0.1 && abs(dy) <= 0.1)
                case .resize(let s): #expect(s == 384)
                case .cutout(let holes):
                    #expect(holes.count == 1)
                    for h in holes {
                        #expect(h.x1 >= 0 && h.y1 >= 0 && h.x2 <= 384 && h.y2 <= 384)
                        #expect(h.x2 - h.x1 <= 144 && h.y2 - h.y1 <= 144)
                    }
                default: break
                }
            }
        }
        // The hole is a fixed 144 px (int(0.375 * 384)) unless clipped at a border.
        let sizes = plans().flatMap { $0 }.compactMap { step -> Int? in
            if case .cutout(let h) = step { return h[0].x2 - h[0].x1 } else { return nil }
        }
        #expect(sizes.filter { $0 == 144 }.count > sizes.count / 2)
    }

    @Test func samePlanForSameSeedEpochIndex() {
        let p = AugmentPipeline(.train(imageSize: 256))
        var a = SampleRandom(seed: 7, epoch: 2, index: 19), b = SampleRandom(seed: 7, epoch: 2, index: 19)
        #expect(p.plan(using: &a) == p.plan(using: &b))
        let others = [(7, 2, 20), (7, 3, 19), (8, 2, 19)].map { s, e, i -> [AugmentStep] in
            var r = SampleRandom(seed: UInt64(s), epoch: e, index: i)
            return p.plan(using: &r)
        }
        var c = SampleRandom(seed: 7, epoch: 2, index: 19)
        let base = p.plan(using: &c)
        #expect(others.allSatisfy { $0 != base })
    }

    @Test func validationIsResizeOnlyAndOutputIsNormalizedCHW() throws {
        var rng = SampleRandom(seed: 1)
        let v = AugmentPipeline(.validation(imageSize: 64))
        #expect(v.plan(using: &rng) == [.resize(size: 64)])
        let img = Image.filled(width: 100, height: 80, rgb: (255, 0, 128))
        var out = [Float](repeating: .nan, count: 3 * 64 * 64)
        try out.withUnsafeMutableBufferPointer { try v.transform(img, using: &rng, into: $0.baseAddress!) }
        let expected: [Float] = [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (128.0 / 255 - 0.406) / 0.225]
        for c in 0 ..< 3 {
            let got = out[c * 64 * 64]
            #expect(abs(got - expected[c]) < 1e-5, "channel \(c): \(got) vs \(expected[c])")
        }
        let t = AugmentPipeline(.train(imageSize: 64))
        for i in 0 ..< 20 {
            var r = SampleRandom(seed: 3, index: i)
            try out.withUnsafeMutableBufferPointer { try t.transform(img, using: &r, into: $0.baseAddress!) }
            #expect(out.allSatisfy { $0.isFinite })
        }
    }
}
