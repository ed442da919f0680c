import Foundation
import Imaging
import Models
import Testing
import TestSupport
import Torch

@testable import MelanomaKit

/// A synthetic dataset and two untrained fold checkpoints of a small EfficientNet-B0 (with metadata), as
/// `train` leaves them: checkpoints plus `{kernel}.json`.
struct ImageModelFixture {
    let dir: URL
    let options: RunOptions
    let dataset: Dataset

    init(tag: String, useMeta: Bool = true, size: Int = 64) throws {
        dir = try Reference.temporaryDirectory(tag)
        _ = try Synth.generate(SynthConfig(outDir: dir.appendingPathComponent("data").path, size: size, train: 60, test: 7,
                                           seed: 3))
        var o = RunOptions(kernelType: "tiny_b0", dataFolder: size, imageSize: size, enetType: "efficientnet_b0")
        o.dataDir = dir.appendingPathComponent("data").path
        o.modelDir = dir.appendingPathComponent("weights").path
        o.useMeta = useMeta
        o.nMetaDim = [16, 8]
        o.folds = [0, 1]
        o.batchSize = 4
        o.numWorkers = 0
        options = o
        dataset = try o.loadDataset()
        try FileManager.default.createDirectory(atPath: o.modelDir, withIntermediateDirectories: true)
        for fold in o.folds {
            let model = try o.makeModel(nMetaFeatures: dataset.nMetaFeatures, seed: UInt64(10 + fold))
            try model.save(to: URL(fileURLWithPath: o.modelDir).appendingPathComponent(o.names.best(fold: fold)))
        }
        var d = ModelDescription(options: o, dataset: dataset)
        d.oofScores = .init(eval: "best", scores: (0 ..< 101).map { Double($0) / 100 })
        try ModelDescription.record(d, modelDir: o.modelDir)
    }
}

@Suite(.serialized) struct ImagePredictTests {
    /// predict-image's path (description file, in-memory images, metadata built per image) gives what
    /// `predict` writes for the same test images, folds and 8 TTA variants.
    @Test func equalsPredictOnTheTestSet() throws {
        let f = try ImageModelFixture(tag: "predict-image")
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var o = f.options
        o.nTest = 8
        let sub = try PredictRun.run(o, eval: .best, subDir: f.dir.appendingPathComponent("subs").path, console: { _ in })
        let csv = try CSVTable.read(path: sub.path)
        var expected: [String: Double] = [:]
        for r in csv.rows { expected[r[0]] = Double(r[1])! }

        let model = try LoadedModel(modelDir: o.modelDir, kernelType: o.kernelType, eval: .best)
        #expect(model.description.metaFeatures == f.dataset.metaFeatureNames)
        #expect(model.description.jpegQuality == 90)
        let predictor = try ImagePredictor(models: [model], nTest: 8)
        let infos = try PatientInfo.table(csv: o.datasetConfig.testCSV)
        let prepared = try f.dataset.test.map { s in
            try predictor.prepare(ImageInput(name: s.imageName, data: try Data(contentsOf: URL(fileURLWithPath: s.filepath)),
                                             info: infos[s.imageName]!))
        }
        // The metadata vector equals the one get_df built for the row.
        for (p, s) in zip(prepared, f.dataset.test) { #expect(p.meta[0] == s.meta) }
        let results = try predictor.predict(prepared)
        #expect(results.count == f.dataset.test.count)
        for r in results {
            let want = try #require(expected[r.image])
            #expect(abs(r.probability - want) <= 1e-5, "\(r.image): \(r.probability) vs predict's \(want)")
            #expect(r.models.count == 1)
            let pct = try #require(r.percentile)
            #expect(abs(pct - 100 * Double(Int(r.probability * 100) + 1) / 101) < 1e-9)
        }
        // One image at a time gives the same (no batch effects beyond float noise).
        let single = try predictor.predict([prepared[2]])
        #expect(abs(single[0].probability - results[2].probability) <= 1e-5)
    }

    @Test func missingMetadataIsFilledAndReported() throws {
        let names = ["sex", "age_approx", "n_images", "image_size", "site_head", "site_torso", "site_nan"]
        let (v, notes) = try PatientInfo().features(names: names, storedBytes: 1000)
        #expect(v == [-1, 0, Float(log1p(1.0)), Float(log(1000.0)), 0, 0, 1])
        #expect(notes.count == 4)
        let (w, n2) = try PatientInfo(age: 45, sex: "female", site: "torso", nImages: 3).features(names: names, storedBytes: 10)
        #expect(w == [0, Float(45.0 / 90), Float(log1p(3.0)), Float(log(10.0)), 0, 1, 0])
        #expect(n2.isEmpty)
        #expect(throws: PatientInfo.FieldError.self) { try PatientInfo(site: "elbow").features(names: names, storedBytes: 1) }
        #expect(throws: PatientInfo.FieldError.self) { try PatientInfo(sex: "x").features(names: names, storedBytes: 1) }
        #expect(throws: PatientInfo.FieldError.self) { try PatientInfo(age: -3).features(names: names, storedBytes: 1) }
    }

    /// image_size of an upload: a JPEG at the data folder's resolution as it is, anything else resized to F x F
    /// and encoded at the dataset's quality.
    @Test func storedImageSize() throws {
        let img = try Image(width: 96, height: 80, pixels: (0 ..< 96 * 80 * 3).map { UInt8(($0 * 7) % 251) })
        let png = try img.pngData()
        let expected = try img.resized(width: 64, height: 64).jpegData(quality: 90).count
        #expect(try StoredImageSize.bytes(of: png, dataFolder: 64, jpegQuality: 90) == expected)
        let stored = try img.resized(width: 64, height: 64).jpegData(quality: 75)
        #expect(try StoredImageSize.bytes(of: stored, dataFolder: 64, jpegQuality: 90) == stored.count)
        for q in [50, 75, 90, 95, 100] { #expect(JPEGQuality.estimate(try img.jpegData(quality: q)) == q) }
        #expect(JPEGQuality.estimate(png) == nil)
    }
}

@Suite(.serialized) struct ModelDescriptionTests {
    /// train writes {kernel}.json, evaluate adds the OOF scores, a later fold is merged in; the file is
    /// enough to load the model.
    @Test func trainAndEvaluateWriteTheDescription() throws {
        let dir = try Reference.temporaryDirectory("describe")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Synth.generate(SynthConfig(outDir: dir.appendingPathComponent("data").path, size: 32, train: 100, test: 4, seed: 8,
                                           malignantRate: 0.4))
        var o = RunOptions(kernelType: "desc_b0", dataFolder: 32, imageSize: 32, enetType: "efficientnet_b0")
        o.dataDir = dir.appendingPathComponent("data").path
        o.modelDir = dir.appendingPathComponent("weights").path
        o.logDir = dir.appendingPathComponent("logs").path
        o.useMeta = true
        o.nMetaDim = [8, 4]
        o.folds = [0]
        o.debug = true
        o.batchSize = 2
        o.numWorkers = 0
        o.nTest = 1
        _ = try TrainRun.run(o, pretrained: nil, resume: false, console: { _ in })
        let url = ModelDescription.url(modelDir: o.modelDir, kernelType: o.kernelType)
        var d = try ModelDescription.read(url)
        let data = try o.loadDataset()
        #expect(d.metaFeatures == data.metaFeatureNames && d.melIdx == data.melIdx && d.classes == data.classes)
        #expect(d.folds == [0] && d.imageSize == 32 && d.dataFolder == 32 && d.jpegQuality == 90 && d.oofScores == nil)
        o.debug = false
        _ = try EvaluateRun.run(o, eval: .final, oofDir: dir.appendingPathComponent("oofs").path, console: { _ in })
        d = try ModelDescription.read(url)
        let oof = try #require(d.oofScores)
        #expect(oof.count > 0 && oof.quantiles.count == oof.count && oof.quantiles == oof.quantiles.sorted())
        var other = d
        other.folds = [1]
        other.oofScores = nil
        try ModelDescription.record(other, modelDir: o.modelDir)
        d = try ModelDescription.read(url)
        #expect(d.folds == [0, 1] && d.oofScores == oof)
        let model = try LoadedModel(description: d, modelDir: o.modelDir, eval: .final, folds: [0])
        #expect(model.folds.count == 1)
    }

    @Test func percentiles() {
        let s = ModelDescription.ScoreDistribution(eval: "best", scores: [0.4, 0.1, 0.3, 0.2])
        #expect(s.quantiles == [0.1, 0.2, 0.3, 0.4])
        #expect(s.percentile(of: 0.05) == 0 && s.percentile(of: 0.25) == 50 && s.percentile(of: 0.4) == 100)
        let big = ModelDescription.ScoreDistribution(eval: "best", scores: (0 ..< 10_000).map { Double($0) / 9999 })
        #expect(big.count == 10_000 && big.quantiles.count == 2001)
        #expect(abs(big.percentile(of: 0.5) - 50) < 0.1)
    }
}
