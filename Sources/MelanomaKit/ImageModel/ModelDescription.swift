import Basics
import Foundation
import Imaging
import Models

/// What a trained model is, written by `train` next to its checkpoints as `{kernel}.json`, so that
/// predict-image and the server need only the model folder: the network, the data it was trained on (image
/// resolution and encoding, which `image_size` measures), the classes, the ordered metadata features and,
/// once `evaluate` has run, the distribution of its out-of-fold scores.
public struct ModelDescription: Codable, Sendable, Equatable {
    /// The out-of-fold melanoma probabilities of `evaluate`: sorted, every score up to 2001 of them, evenly
    /// spaced quantiles beyond.
    public struct ScoreDistribution: Codable, Sendable, Equatable {
        public var eval: String
        public var count: Int
        public var quantiles: [Double]

        public init(eval: String, scores: [Double]) {
            self.eval = eval
            count = scores.count
            let s = scores.filter(\.isFinite).sorted()
            let n = ScoreDistribution.maxStored
            if s.count <= n {
                quantiles = s
            } else {
                quantiles = (0 ..< n).map { s[Int((Double($0) * Double(s.count - 1) / Double(n - 1)).rounded())] }
            }
        }

        static let maxStored = 2001

        /// The percentage of out-of-fold scores at or below `p` (0...100).
        public func percentile(of p: Double) -> Double {
            guard !quantiles.isEmpty else { return .nan }
            var lo = 0, hi = quantiles.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if quantiles[mid] <= p { lo = mid + 1 } else { hi = mid }
            }
            return 100 * Double(lo) / Double(quantiles.count)
        }
    }

    public var formatVersion = 1
    public var kernelType: String
    public var enetType: String
    public var imageSize: Int
    /// The stored resolution F of the training JPEGs (`jpeg-melanoma-FxF`).
    public var dataFolder: Int
    public var dataDir: String
    /// JPEG quality the stored training images were written with (read off their quantisation tables);
    /// an upload is re-encoded so for `image_size`.
    public var jpegQuality: Int
    public var outDim: Int
    public var melIdx: Int
    public var classes: [String]
    public var nMetaDim: [Int]
    /// The metadata features in the order the model reads them; empty for a model without metadata.
    public var metaFeatures: [String]
    public var folds: [Int]
    public var oofScores: ScoreDistribution?

    public var useMeta: Bool { !metaFeatures.isEmpty }
    public var names: CheckpointNames { CheckpointNames(kernelType: kernelType) }

    public func modelSpec() -> ModelSpec {
        ModelSpec(enetType: enetType, outDim: outDim, nMetaFeatures: metaFeatures.count, nMetaDim: nMetaDim)
    }

    /// The description of a run's settings on its dataset (what train writes; also how checkpoints without a
    /// description file are described by predict's flags).
    public init(options o: RunOptions, dataset: Dataset) {
        kernelType = o.kernelType
        enetType = o.enetType
        imageSize = o.imageSize
        dataFolder = o.dataFolder
        dataDir = o.dataDir
        jpegQuality = ModelDescription.estimateQuality(of: dataset.train.first { !$0.isExt } ?? dataset.train.first)
        outDim = o.outDim
        melIdx = dataset.melIdx
        classes = dataset.classes
        nMetaDim = o.nMetaDim
        metaFeatures = o.useMeta ? dataset.metaFeatureNames : []
        folds = o.folds.sorted()
        oofScores = nil
    }

    /// Checkpoints without a description file (the original's released weights): described by predict's
    /// data and model flags, reading the dataset for the classes and the metadata features.
    public static func describing(_ o: RunOptions) throws -> ModelDescription {
        try o.validate()
        return ModelDescription(options: o, dataset: try o.loadDataset())
    }

    static func estimateQuality(of sample: Sample?) -> Int {
        guard let sample, let data = FileManager.default.contents(atPath: sample.filepath) else { return 95 }
        return JPEGQuality.estimate(data) ?? 95
    }

    // MARK: the file

    public static func fileName(kernelType: String) -> String { "\(kernelType).json" }

    public static func url(modelDir: String, kernelType: String) -> URL {
        URL(fileURLWithPath: modelDir).appendingPathComponent(fileName(kernelType: kernelType))
    }

    public static func read(_ url: URL) throws -> ModelDescription {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RunError(.modelDir, "cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            let d = try JSONDecoder().decode(ModelDescription.self, from: data)
            try d.validate(file: url.path)
            return d
        } catch let e as RunError { throw e } catch {
            throw RunError(.modelDir, "\(url.path) is not a model description: \(error)")
        }
    }

    public func write(to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(self), to: url)
    }

    func validate(file: String) throws {
        guard !kernelType.isEmpty, !kernelType.contains("/") else { throw RunError(.modelDir, "\(file): bad kernelType") }
        guard (32 ... 2048).contains(imageSize), dataFolder > 0 else { throw RunError(.modelDir, "\(file): bad image size") }
        guard classes.count <= outDim, (0 ..< outDim).contains(melIdx) else {
            throw RunError(.modelDir, "\(file): melIdx \(melIdx) is not a class of out dim \(outDim)")
        }
        guard !folds.isEmpty else { throw RunError(.modelDir, "\(file): no folds") }
    }

    /// Keeps the folds and OOF scores a description of the same model already has (train run fold by fold).
    func merged(with old: ModelDescription?) -> ModelDescription {
        guard let old, old.enetType == enetType, old.imageSize == imageSize, old.metaFeatures == metaFeatures,
              old.outDim == outDim, old.melIdx == melIdx else { return self }
        var d = self
        d.folds = Array(Set(folds).union(old.folds)).sorted()
        d.oofScores = oofScores ?? old.oofScores
        return d
    }

    /// Writes (or updates) `{kernel}.json` in `modelDir`.
    public static func record(_ d: ModelDescription, modelDir: String) throws {
        let url = ModelDescription.url(modelDir: modelDir, kernelType: d.kernelType)
        let old = FileManager.default.fileExists(atPath: url.path) ? try? read(url) : nil
        try FileManager.default.createDirectory(atPath: modelDir, withIntermediateDirectories: true)
        try d.merged(with: old).write(to: url)
    }
}
