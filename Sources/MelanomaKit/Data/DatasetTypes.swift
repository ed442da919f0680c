import Foundation

/// What `get_df` takes: where the data lives and the training flags that change folds, labels and metadata.
public struct DatasetConfig: Sendable, Equatable {
    public var dataDir: String
    /// The stored resolution F of `jpeg-melanoma-FxF`.
    public var dataFolder: Int
    /// Only its `newfold` / `oldfold` substrings matter here, as in the original.
    public var kernelType: String
    /// 9 or 4: the diagnosis mapping of the external rows.
    public var outDim: Int
    public var useMeta: Bool
    /// Seed of the folds made for a train.csv without a tfrecord column.
    public var foldSeed: UInt64
    /// Write the folds made for a train.csv without tfrecord next to it (folds.csv), so later runs reuse them.
    public var writeFolds: Bool
    /// How closely image files are checked: training needs them present; check-data decodes them.
    public var imageCheck: ImageCheck

    public init(dataDir: String, dataFolder: Int = 512, kernelType: String = "", outDim: Int = 9,
                useMeta: Bool = false, foldSeed: UInt64 = 0, writeFolds: Bool = true, imageCheck: ImageCheck = .exists) {
        self.dataDir = dataDir
        self.dataFolder = dataFolder
        self.kernelType = kernelType
        self.outDim = outDim
        self.useMeta = useMeta
        self.foldSeed = foldSeed
        self.writeFolds = writeFolds
        self.imageCheck = imageCheck
    }

    public var folder2020: String { dataDir.appendingPath("jpeg-melanoma-\(dataFolder)x\(dataFolder)") }
    public var folderExternal: String { dataDir.appendingPath("jpeg-isic2019-\(dataFolder)x\(dataFolder)") }
    public var train2020CSV: String { folder2020.appendingPath("train.csv") }
    public var externalCSV: String { folderExternal.appendingPath("train.csv") }
    public var testCSV: String { folder2020.appendingPath("test.csv") }
}

/// One image as the loader and the training loop see it.
public struct Sample: Sendable, Equatable {
    public var imageName: String
    public var filepath: String
    public var patientID: String?
    /// The diagnosis after the original's string mapping; empty for test rows.
    public var diagnosis: String
    /// Class index into `Dataset.classes`; -1 for test rows.
    public var target: Int
    /// 0...4; -1 for test rows.
    public var fold: Int
    /// True for rows of the external (ISIC 2019) folder.
    public var isExt: Bool
    /// The metadata features in `Dataset.metaFeatureNames` order; empty without `useMeta`.
    public var meta: [Float]

    public init(imageName: String, filepath: String, patientID: String? = nil, diagnosis: String = "",
                target: Int = -1, fold: Int = -1, isExt: Bool = false, meta: [Float] = []) {
        self.imageName = imageName
        self.filepath = filepath
        self.patientID = patientID
        self.diagnosis = diagnosis
        self.target = target
        self.fold = fold
        self.isExt = isExt
        self.meta = meta
    }
}

/// What `get_df` returns: train rows (2020 first, then external), test rows, the classes in the original's
/// sorted order, `mel_idx` and the metadata feature names.
public struct Dataset: Sendable {
    public var config: DatasetConfig
    public var train: [Sample]
    public var test: [Sample]
    public var classes: [String]
    public var melIdx: Int
    public var metaFeatureNames: [String]
    public var report: DataReport

    public var nMetaFeatures: Int { metaFeatureNames.count }

    /// Reads the dataset and reports every problem; the dataset is nil when a train file could not be read.
    /// Throws only for a configuration no data can satisfy (an unsupported --out-dim).
    /// `progress` receives (images checked, images listed) from worker threads.
    public static func inspect(_ config: DatasetConfig, progress: (@Sendable (Int, Int) -> Void)? = nil) throws
        -> (dataset: Dataset?, report: DataReport) {
        let (dataset, report) = try DatasetLoader.inspect(config, progress: progress)
        return (dataset, report)
    }

    /// Reads and validates the dataset; throws a `DataError` listing every error found.
    public static func load(_ config: DatasetConfig) throws -> Dataset {
        let (dataset, report) = try DatasetLoader.inspect(config)
        if let dataset, report.errors.isEmpty { return dataset }
        throw DataError(report.errors)
    }
}

/// What check-data prints: per-file counts, drops with reasons, missing values, classes, folds and problems.
public struct DataReport: Sendable {
    public struct FileSummary: Sendable {
        public var role: String
        public var path: String
        public var present: Bool
        public var rowsRead = 0
        public var rowsKept = 0
        /// (reason, count) in the order the rules run.
        public var dropped: [(reason: String, count: Int)] = []
        /// (column, missing count over kept rows) for every column of the header.
        public var missing: [(column: String, count: Int)] = []
    }

    public var files: [FileSummary] = []
    public var problems: [DataProblem] = []
    public var classes: [String] = []
    public var classCounts: [Int] = []
    public var melIdx: Int?
    /// foldClassCounts[fold][class], train rows; foldExtCounts[fold] the external rows among them.
    public var foldClassCounts: [[Int]] = []
    public var foldExtCounts: [Int] = []
    public var notes: [String] = []
    public var metaFeatureNames: [String] = []
    public var imagesChecked = 0
    public var imagesMissing = 0
    /// Empty, not a file, or (when read) not a readable JPEG or PNG.
    public var imagesUnreadable = 0
    public var imageCheck: ImageCheck = .exists
    /// "WxH" -> count, filled when headers are read.
    public var imageDimensions: [String: Int] = [:]

    public var errors: [DataProblem] { problems.filter { $0.severity == .error } }
    public var warnings: [DataProblem] { problems.filter { $0.severity == .warning } }
}

extension String {
    func appendingPath(_ component: String) -> String {
        if isEmpty { return component }
        return hasSuffix("/") ? self + component : self + "/" + component
    }
}

/// Python's `sorted()` order for str: by Unicode code points, so upper case sorts before lower case.
func pythonLess(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
}
