import Foundation
import Imaging
import Models
import Torch

/// The fold models of one kernel type and its description.
public final class LoadedModel: @unchecked Sendable {
    public let description: ModelDescription
    public let folds: [MelanomaNet]
    /// Weights and inputs in channels-last layout (predict's default memory format).
    public let channelsLast: Bool

    public init(description d: ModelDescription, modelDir: String, eval: EvalChoice, device: Device = .cpu,
                folds: [Int]? = nil) throws {
        description = d
        var o = RunOptions(kernelType: d.kernelType, dataFolder: d.dataFolder, imageSize: d.imageSize, enetType: d.enetType)
        o.outDim = d.outDim
        o.useMeta = d.useMeta
        o.nMetaDim = d.nMetaDim
        o.modelDir = modelDir
        o.device = device
        channelsLast = o.channelsLast
        self.folds = try (folds ?? d.folds).map { try loadFoldModel(o, nMeta: d.metaFeatures.count, eval: eval, fold: $0) }
    }

    /// Reads `{kernel}.json` from `modelDir` and loads its folds.
    public convenience init(modelDir: String, kernelType: String, eval: EvalChoice, device: Device = .cpu) throws {
        let url = ModelDescription.url(modelDir: modelDir, kernelType: kernelType)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RunError(.kernelType, "no \(url.path): train writes it; for checkpoints without one give predict's "
                + "data and model flags (--data-dir, --data-folder, --image-size, --enet-type, ...)")
        }
        try self.init(description: try ModelDescription.read(url), modelDir: modelDir, eval: eval, device: device)
    }
}

/// An image to score: its encoded bytes and what is known of the patient.
public struct ImageInput: Sendable {
    public var name: String
    public var data: Data
    public var info: PatientInfo

    public init(name: String, data: Data, info: PatientInfo = PatientInfo()) {
        self.name = name
        self.data = data
        self.info = info
    }
}

/// One model's view of an image.
public struct ModelScore: Codable, Sendable, Equatable {
    public var kernelType: String
    public var probability: Double
    /// Percentage of this model's out-of-fold scores at or below `probability`; nil before `evaluate`.
    public var percentile: Double?
}

/// What predict-image and the server answer per image.
public struct ImagePrediction: Codable, Sendable {
    public var image: String
    /// The melanoma probability: softmax averaged over TTA variants and fold models (as predict), then over models.
    public var probability: Double
    /// The mean of the models' percentiles (the rank ensemble's view); nil when a model has no OOF scores.
    public var percentile: Double?
    public var models: [ModelScore]
    /// How missing metadata was filled (empty when the models use none or nothing was missing).
    public var metadataNotes: [String]
    public var nTest: Int
}

/// An image decoded and transformed for every model, checked before it joins a batch.
public struct PreparedImage: @unchecked Sendable {
    public let name: String
    /// Per model: normalized CHW pixels at its image size, and its metadata vector.
    let pixels: [[Float]]
    let meta: [[Float]]
    public let notes: [String]
    /// The upload, decoded again for an overlay only.
    let data: Data

    /// The image at full size.
    public func decoded() throws -> Image { try Image(data: data, name: name) }
}

/// An image that would decode to more than `ImagePredictor.maxPixels` pixels.
public struct PixelLimitError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Scores images with one or more models; the one TTA loop is `Inference.run`.
public final class ImagePredictor: @unchecked Sendable {
    public let models: [LoadedModel]
    public let nTest: Int
    public let device: Device
    /// Most pixels an image may decode to (a guard against decompression bombs).
    public var maxPixels = 50_000_000

    public init(models: [LoadedModel], nTest: Int = 8, device: Device = .cpu) throws {
        guard !models.isEmpty else { throw RunError(.kernelType, "give at least one model") }
        guard (1 ... TTA.variants).contains(nTest) else { throw RunError(.nTest, "must be 1...8, got \(nTest)") }
        self.models = models
        self.nTest = nTest
        self.device = device
    }

    /// Decodes, checks and transforms one image (throws an `ImageError` or a `PatientInfo.FieldError`).
    public func prepare(_ input: ImageInput) throws -> PreparedImage {
        guard !input.data.isEmpty else { throw ImageError("\(input.name): the file is empty") }
        let plan = try Image.plan(data: input.data, name: input.name)
        guard plan.storedWidth * plan.storedHeight <= maxPixels else {
            throw PixelLimitError(description: "\(input.name): \(plan.storedWidth)x\(plan.storedHeight) is more than "
                + "\(maxPixels) pixels")
        }
        var pixels: [[Float]] = [], meta: [[Float]] = [], notes: [String] = []
        // Models of an ensemble often share an input size or a data folder: each decode and each stored-size
        // measurement (a resize and a JPEG encode) is done once per image.
        var inputs: [Int: [Float]] = [:], storedBytes: [[Int]: Int] = [:]
        for m in models {
            let d = m.description
            if inputs[d.imageSize] == nil {
                let pipeline = AugmentPipeline(.validation(imageSize: d.imageSize))
                let decoded = try Image(data: input.data, minSide: pipeline.config.decodeMinSide, name: input.name)
                var rng = SampleRandom(seed: 0, epoch: 0, index: 0)
                var px = [Float](repeating: 0, count: 3 * d.imageSize * d.imageSize)
                try px.withUnsafeMutableBufferPointer { try pipeline.transform(decoded, using: &rng, into: $0.baseAddress!) }
                inputs[d.imageSize] = px
            }
            pixels.append(inputs[d.imageSize]!)
            if d.useMeta {
                let key = [d.dataFolder, d.jpegQuality]
                let bytes = try storedBytes[key] ?? StoredImageSize.bytes(of: input.data, dataFolder: d.dataFolder,
                                                                          jpegQuality: d.jpegQuality, name: input.name)
                storedBytes[key] = bytes
                let f = try input.info.features(names: d.metaFeatures, storedBytes: bytes)
                meta.append(f.values)
                for n in f.notes where !notes.contains(n) { notes.append(n) }
            } else {
                meta.append([])
            }
        }
        return PreparedImage(name: input.name, pixels: pixels, meta: meta, notes: notes, data: input.data)
    }

    /// The images of model `k` as a batch source of one batch.
    func source(_ images: [PreparedImage], model k: Int) throws -> TensorBatchSource {
        let s = models[k].description.imageSize
        let flat = images.flatMap { $0.pixels[k] }
        let x = try flat.withUnsafeBytes { try Tensor.fromBytes($0, shape: [images.count, 3, s, s], dtype: .float32) }
        let m = models[k].description.metaFeatures.count
        let meta = m == 0 ? nil : try Tensor(images.flatMap { $0.meta[k] }, shape: [images.count, m])
        return TensorBatchSource(images: x, meta: meta)
    }

    /// Probabilities for prepared images, all in one batch per model.
    public func predict(_ images: [PreparedImage]) throws -> [ImagePrediction] {
        guard !images.isEmpty else { return [] }
        var perModel: [[Double]] = []
        for (k, m) in models.enumerated() {
            let out = try Inference.run(models: m.folds, source: try source(images, model: k), nTest: nTest, device: device,
                                        channelsLast: m.channelsLast)
            perModel.append(out.melanoma(m.description.melIdx))
        }
        return images.enumerated().map { i, img in
            let scores = models.enumerated().map { k, m in
                ModelScore(kernelType: m.description.kernelType, probability: perModel[k][i],
                           percentile: m.description.oofScores?.percentile(of: perModel[k][i]))
            }
            let pcts = scores.compactMap(\.percentile)
            return ImagePrediction(image: img.name, probability: scores.map(\.probability).reduce(0, +) / Double(scores.count),
                                   percentile: pcts.count == scores.count ? pcts.reduce(0, +) / Double(pcts.count) : nil,
                                   models: scores, metadataNotes: img.notes, nTest: nTest)
        }
    }

    /// Grad-CAM maps (`GradCAM.maps`) of each image at `size` x `size`, averaged over the models; row-major.
    public func gradCAM(_ images: [PreparedImage], size: Int) throws -> [[Float]] {
        guard !images.isEmpty else { return [] }
        var sum: Tensor? = nil
        for (k, m) in models.enumerated() {
            let src = try source(images, model: k)
            let cam = try GradCAM.maps(models: m.folds, images: src.images, meta: src.meta, melIdx: m.description.melIdx,
                                       nTest: nTest, size: size, device: device, channelsLast: m.channelsLast)
            sum = try sum.map { try $0 + cam } ?? cam
        }
        let all = try (sum! / Double(models.count)).toArray(Float.self)
        let per = size * size
        return (0 ..< images.count).map { Array(all[$0 * per ..< ($0 + 1) * per]) }
    }

    /// The side of a Grad-CAM overlay: the first model's input size, at least 256 pixels.
    public var overlaySize: Int { max(256, models[0].description.imageSize) }

    /// Side-by-side PNG: the image | the map over it (JET at 0.5), at `size` pixels high.
    public static func overlayPNG(_ image: PreparedImage, cam: [Float], size: Int) throws -> Data {
        try image.decoded().resized(width: size, height: size).camOverlay(cam, alpha: 0.5).pngData()
    }
}

/// Rows already in tensors, one batch: what predict-image and the server give the TTA loop.
public final class TensorBatchSource: BatchSource {
    public let images: Tensor
    public let meta: Tensor?

    public init(images: Tensor, meta: Tensor?) {
        self.images = images
        self.meta = meta
    }

    public var batchCount: Int { 1 }

    public func pass(seed: UInt64?) throws -> BatchPass {
        var done = false
        let n = images.shape[0]
        return { [self] in
            if done { return nil }
            done = true
            return Batch(images: images, meta: meta, targets: nil, indices: Array(0 ..< n), isExt: Array(repeating: false, count: n))
        }
    }
}
