/// The original's `get_transforms(image_size)` (albumentations 0.4.6) as values: every probability and range.
/// The defaults are the original's; `validation` is resize + normalize.
public struct AugmentConfig: Sendable, Equatable {
    public var imageSize: Int
    public var training: Bool
    /// Decode JPEGs reduced in the DCT (1/2, 1/4, 1/8) while both sides stay >= imageSize. The original decodes
    /// at the stored size; with this on, the training transforms run at the reduced size (documented deviation).
    public var dctScaling = true

    public var transposeP = 0.5, verticalFlipP = 0.5, horizontalFlipP = 0.5
    public var brightnessLimit = 0.2, brightnessP = 0.75
    public var contrastLimit = 0.2, contrastP = 0.75
    /// OneOf(MotionBlur, MedianBlur, GaussianBlur, GaussNoise); children equally likely.
    public var blurOrNoiseP = 0.7, blurLimit = 5, noiseVariance: ClosedRange<Double> = 5 ... 30
    /// OneOf(OpticalDistortion, GridDistortion, ElasticTransform); children equally likely.
    public var distortionP = 0.7
    public var opticalDistortLimit = 1.0, opticalShiftLimit = 0.05
    public var gridSteps = 5, gridDistortLimit = 1.0
    public var elasticAlpha = 3.0, elasticSigma = 50.0, elasticAlphaAffine = 50.0
    public var claheClipLimit = 4.0, claheTiles = 8, claheP = 0.7
    public var hueShiftLimit = 10.0, saturationShiftLimit = 20.0, valueShiftLimit = 10.0, hsvP = 0.5
    public var shiftLimit = 0.1, scaleLimit = 0.1, rotateLimit = 15.0, shiftScaleRotateP = 0.85
    public var cutoutHoles = 1, cutoutFraction = 0.375, cutoutP = 0.7
    public var mean = Image.imageNetMean, std = Image.imageNetStd

    public init(imageSize: Int, training: Bool) {
        self.imageSize = imageSize
        self.training = training
    }

    public static func train(imageSize: Int) -> AugmentConfig { AugmentConfig(imageSize: imageSize, training: true) }
    public static func validation(imageSize: Int) -> AugmentConfig { AugmentConfig(imageSize: imageSize, training: false) }

    /// The smallest side a decode must keep (0: full size).
    public var decodeMinSide: Int { dctScaling ? imageSize : 0 }
    /// Cutout's hole side: int(0.375 * S).
    public var cutoutSize: Int { Int(cutoutFraction * Double(imageSize)) }
}

/// One transform with its drawn parameters; a sample's list of these is its whole augmentation.
public enum AugmentStep: Sendable, Equatable, Codable {
    case transpose, verticalFlip, horizontalFlip
    case brightness(beta: Double)
    case contrast(alpha: Double)
    case motionBlur(kernelSize: Int, xs: Int, ys: Int, xe: Int, ye: Int)
    case medianBlur(kernelSize: Int)
    case gaussianBlur(kernelSize: Int)
    /// The field is N(0, sigma) from OpenCV's generator seeded with `seed`.
    case gaussNoise(sigma: Double, seed: UInt64)
    case opticalDistortion(k: Double, dx: Double, dy: Double)
    case gridDistortion(numSteps: Int, xSteps: [Double], ySteps: [Double])
    /// Uniform fields from OpenCV's generator seeded with `seed` (x) and `seed + 1` (y).
    case elastic(alpha: Double, sigma: Double, jitter: [Float], seed: UInt64)
    case clahe(clipLimit: Double, tiles: Int)
    case hsv(hue: Double, saturation: Double, value: Double)
    case shiftScaleRotate(angle: Double, scale: Double, dx: Double, dy: Double)
    case resize(size: Int)
    case cutout(holes: [Image.Hole])
}

/// Draws each sample's steps from its generator and applies them; the result is normalized CHW float32.
public struct AugmentPipeline: Sendable {
    public let config: AugmentConfig

    public init(_ config: AugmentConfig) { self.config = config }

    /// The steps for one sample, in the original's order (Compose of get_transforms).
    public func plan(using rng: inout SampleRandom) -> [AugmentStep] {
        let c = config
        guard c.training else { return [.resize(size: c.imageSize)] }
        var steps: [AugmentStep] = []
        if rng.chance(c.transposeP) { steps.append(.transpose) }
        if rng.chance(c.verticalFlipP) { steps.append(.verticalFlip) }
        if rng.chance(c.horizontalFlipP) { steps.append(.horizontalFlip) }
        if rng.chance(c.brightnessP) { steps.append(.brightness(beta: rng.uniform(-c.brightnessLimit, c.brightnessLimit))) }
        if rng.chance(c.contrastP) { steps.append(.contrast(alpha: 1 + rng.uniform(-c.contrastLimit, c.contrastLimit))) }
        if rng.chance(c.blurOrNoiseP) {
            let sizes = Array(stride(from: 3, through: c.blurLimit, by: 2))
            switch rng.randint(0, 3) {
            case 0:
                let k = sizes.randomElement(using: &rng) ?? 3
                let xs = rng.randint(0, k - 1), xe = rng.randint(0, k - 1)
                var ys: Int, ye: Int
                if xs == xe {  // random.sample(range(k), 2): two different rows
                    ys = rng.randint(0, k - 1)
                    ye = rng.randint(0, k - 2)
                    if ye >= ys { ye += 1 }
                } else {
                    ys = rng.randint(0, k - 1)
                    ye = rng.randint(0, k - 1)
                }
                steps.append(.motionBlur(kernelSize: k, xs: xs, ys: ys, xe: xe, ye: ye))
            case 1: steps.append(.medianBlur(kernelSize: sizes.randomElement(using: &rng) ?? 3))
            case 2: steps.append(.gaussianBlur(kernelSize: sizes.randomElement(using: &rng) ?? 3))
            default:
                let variance = rng.uniform(c.noiseVariance.lowerBound, c.noiseVariance.upperBound)
                steps.append(.gaussNoise(sigma: variance.squareRoot(), seed: rng.next()))
            }
        }
        if rng.chance(c.distortionP) {
            switch rng.randint(0, 2) {
            case 0:
                let k = rng.uniform(-c.opticalDistortLimit, c.opticalDistortLimit)
                let dx = rng.uniform(-c.opticalShiftLimit, c.opticalShiftLimit).rounded(.toNearestOrEven)
                let dy = rng.uniform(-c.opticalShiftLimit, c.opticalShiftLimit).rounded(.toNearestOrEven)
                steps.append(.opticalDistortion(k: k, dx: dx, dy: dy))
            case 1:
                let xs = (0 ... c.gridSteps).map { _ in 1 + rng.uniform(-c.gridDistortLimit, c.gridDistortLimit) }
                let ys = (0 ... c.gridSteps).map { _ in 1 + rng.uniform(-c.gridDistortLimit, c.gridDistortLimit) }
                steps.append(.gridDistortion(numSteps: c.gridSteps, xSteps: xs, ySteps: ys))
            default:
                let jitter = (0 ..< 6).map { _ in Float(rng.uniform(-c.elasticAlphaAffine, c.elasticAlphaAffine)) }
                steps.append(.elastic(alpha: c.elasticAlpha, sigma: c.elasticSigma, jitter: jitter, seed: rng.next() >> 1))
            }
        }
        if rng.chance(c.claheP) { steps.append(.clahe(clipLimit: rng.uniform(1, c.claheClipLimit), tiles: c.claheTiles)) }
        if rng.chance(c.hsvP) {
            steps.append(.hsv(hue: rng.uniform(-c.hueShiftLimit, c.hueShiftLimit),
                              saturation: rng.uniform(-c.saturationShiftLimit, c.saturationShiftLimit),
                              value: rng.uniform(-c.valueShiftLimit, c.valueShiftLimit)))
        }
        if rng.chance(c.shiftScaleRotateP) {
            steps.append(.shiftScaleRotate(angle: rng.uniform(-c.rotateLimit, c.rotateLimit),
                                           scale: rng.uniform(1 - c.scaleLimit, 1 + c.scaleLimit),
                                           dx: rng.uniform(-c.shiftLimit, c.shiftLimit),
                                           dy: rng.uniform(-c.shiftLimit, c.shiftLimit)))
        }
        steps.append(.resize(size: c.imageSize))
        if rng.chance(c.cutoutP) {
            // Cutout runs after Resize, so the image is S x S here.
            let s = c.imageSize, side = c.cutoutSize
            let holes = (0 ..< c.cutoutHoles).map { _ -> Image.Hole in
                let y = rng.randint(0, s), x = rng.randint(0, s)
                let y1 = min(max(y - side / 2, 0), s), x1 = min(max(x - side / 2, 0), s)
                return Image.Hole(x1: x1, y1: y1, x2: min(x1 + side, s), y2: min(y1 + side, s))
            }
            steps.append(.cutout(holes: holes))
        }
        return steps
    }

    /// Applies `steps` in order. Leading flips, transpose, brightness and contrast run as one fused pass.
    public func apply(_ steps: [AugmentStep], to input: Image) throws -> Image {
        var image = input
        var i = 0
        var transpose = false, vflip = false, hflip = false
        var lut: [UInt8]? = nil
        // Fuse only the canonical order (transpose, vflip, hflip, then LUTs): that is the order the pass applies.
        var stage = 0
        fuse: while i < steps.count {
            switch steps[i] {
            case .transpose where stage == 0: transpose = true; stage = 1
            case .verticalFlip where stage <= 1: vflip = true; stage = 2
            case .horizontalFlip where stage <= 2: hflip = true; stage = 3
            case .brightness(let beta): lut = compose(lut, Image.brightnessContrastLUT(beta: beta)); stage = 4
            case .contrast(let alpha): lut = compose(lut, Image.brightnessContrastLUT(alpha: alpha)); stage = 4
            default: break fuse
            }
            i += 1
        }
        if transpose || vflip || hflip || lut != nil {
            image = try image.dihedral(transpose: transpose, verticalFlip: vflip, horizontalFlip: hflip, lut: lut)
        }
        for step in steps[i...] { image = try Self.applyOne(step, to: image) }
        return image
    }

    private func compose(_ first: [UInt8]?, _ second: [UInt8]) -> [UInt8] {
        guard let first else { return second }
        return first.map { second[Int($0)] }
    }

    /// One step through its explicit-parameter transform.
    public static func applyOne(_ step: AugmentStep, to image: Image) throws -> Image {
        switch step {
        case .transpose: return try image.transposed()
        case .verticalFlip: return try image.verticallyFlipped()
        case .horizontalFlip: return try image.horizontallyFlipped()
        case .brightness(let beta): return try image.applying(lut: Image.brightnessContrastLUT(beta: beta))
        case .contrast(let alpha): return try image.applying(lut: Image.brightnessContrastLUT(alpha: alpha))
        case let .motionBlur(k, xs, ys, xe, ye): return try image.motionBlur(kernelSize: k, xs: xs, ys: ys, xe: xe, ye: ye)
        case .medianBlur(let k): return try image.medianBlur(kernelSize: k)
        case .gaussianBlur(let k): return try image.gaussianBlur(kernelSize: k)
        case let .gaussNoise(sigma, seed):
            return try image.addingNoise(Image.noiseField(seed: seed, count: image.pixels.count, normalSigma: sigma))
        case let .opticalDistortion(k, dx, dy): return try image.opticalDistortion(k: k, dx: dx, dy: dy)
        case let .gridDistortion(n, xs, ys): return try image.gridDistortion(numSteps: n, xSteps: xs, ySteps: ys)
        case let .elastic(alpha, sigma, jitter, seed):
            let n = image.width * image.height
            return try image.elastic(alpha: alpha, sigma: sigma, jitter: jitter,
                                     noiseX: Image.noiseField(seed: seed, count: n),
                                     noiseY: Image.noiseField(seed: seed &+ 1, count: n))
        case let .clahe(clip, tiles): return try image.clahe(clipLimit: clip, tiles: tiles)
        case let .hsv(h, s, v): return try image.hsvShift(hue: h, saturation: s, value: v)
        case let .shiftScaleRotate(angle, scale, dx, dy):
            return try image.shiftScaleRotate(angle: angle, scale: scale, dx: dx, dy: dy, border: .constant)
        case .resize(let size): return try image.resized(width: size, height: size)
        case .cutout(let holes): return image.cutout(holes)
        }
    }

    /// Draws and applies this sample's augmentation; returns the uint8 image before Normalize.
    public func augment(_ image: Image, using rng: inout SampleRandom) throws -> Image {
        try apply(plan(using: &rng), to: image)
    }

    /// The full transform into `out` (3 * S * S floats, CHW, normalized).
    public func transform(_ image: Image, using rng: inout SampleRandom, into out: UnsafeMutablePointer<Float>) throws {
        let result = try augment(image, using: &rng)
        guard result.width == config.imageSize, result.height == config.imageSize else {
            throw ImageError("transform produced \(result.width)x\(result.height), expected \(config.imageSize)")
        }
        result.writeNormalizedCHW(into: out, mean: config.mean, std: config.std)
    }
}
