import ArgumentParser
import Basics
import Foundation
import Imaging
import MelanomaKit
import Torch

/// The model flags of predict-image and serve: a model folder and one or more kernel types, each described by
/// its `{kernel}.json`, or by predict's flags for checkpoints without one.
struct ModelFlags: ParsableArguments {
    @Option(name: .flag("--model-dir"), help: "Folder with the checkpoints and {kernel}.json.")
    var modelDir = RunFlags.defaults.modelDir
    @Option(name: .flag("--kernel-type"), help: "A model's name; repeat to average several models.")
    var kernelTypes: [String] = []
    @OptionGroup var inference: InferenceFlags  // --eval, --n-test
    @Option(name: .flag("--device"), help: "cpu, cuda or cuda:N.")
    var device = "cpu"
    // Checkpoints without {kernel}.json: predict's flags.
    @Option(name: .flag("--data-dir"), help: "Without {kernel}.json: the training data (for classes and metadata).")
    var dataDir = RunFlags.defaults.dataDir
    @Option(name: .flag("--data-folder"), help: "Without {kernel}.json: stored resolution of the training JPEGs.")
    var dataFolder: Int?
    @Option(name: .flag("--image-size"), help: "Without {kernel}.json: network input size.")
    var imageSize: Int?
    @Option(name: .flag("--enet-type"), help: "Without {kernel}.json: backbone.")
    var enetType: String?
    @Option(name: .flag("--out-dim"), help: "Without {kernel}.json: 9 or 4.")
    var outDim = RunFlags.defaults.outDim
    @Flag(name: .flag("--use-meta"), help: "Without {kernel}.json: the model uses metadata.")
    var useMeta = false
    @Option(name: .flag("--n-meta-dim"), help: "Without {kernel}.json: metadata branch widths.")
    var nMetaDim = RunFlags.defaults.nMetaDim.map(String.init).joined(separator: ",")
    @Option(name: .flag("--fold"), help: "Without {kernel}.json: folds to average.")
    var fold = RunFlags.defaults.folds.map(String.init).joined(separator: ",")

    func load() throws -> ImagePredictor {
        guard !kernelTypes.isEmpty else { throw ValidationError("give --kernel-type (one or more)") }
        let choice = try inference.choice()
        let dev = try Device(parsing: device)
        let models = try kernelTypes.map { k -> LoadedModel in
            let url = ModelDescription.url(modelDir: modelDir, kernelType: k)
            if FileManager.default.fileExists(atPath: url.path) {
                return try LoadedModel(modelDir: modelDir, kernelType: k, eval: choice, device: dev)
            }
            guard let dataFolder, let imageSize, let enetType else {
                throw RunError(.kernelType, "no \(url.path); for checkpoints without it give --data-dir, --data-folder, "
                    + "--image-size and --enet-type (and --use-meta, --out-dim, --fold) as for predict")
            }
            var o = RunOptions(kernelType: k, dataFolder: dataFolder, imageSize: imageSize, enetType: enetType)
            o.dataDir = dataDir
            o.outDim = outDim
            o.useMeta = useMeta
            o.nMetaDim = try parseInts(nMetaDim, flag: "--n-meta-dim")
            o.folds = try parseInts(fold, flag: "--fold")
            o.modelDir = modelDir
            return try LoadedModel(description: try ModelDescription.describing(o), modelDir: modelDir, eval: choice, device: dev)
        }
        return try ImagePredictor(models: models, nTest: inference.nTest, device: dev)
    }
}

struct PredictImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict-image",
        abstract: "Melanoma probability of new images with trained models (TTA and folds averaged, as predict).",
        discussion: """
        Per image: the probability (softmax[:, mel_idx] over --n-test TTA variants and the fold models, then \
        averaged over the --kernel-type models), each model's value and its percentile among that model's \
        out-of-fold scores (after `evaluate`). Metadata models read --meta (test.csv's columns) or --age, --sex, \
        --site; what is missing is filled as training filled it, and the output says so. A research tool, not a \
        diagnosis.
        """
    )

    @Argument(help: "JPEG or PNG files, or folders of them.")
    var inputs: [String]
    @OptionGroup var model: ModelFlags
    @Option(name: .flag("--meta"), help: "CSV with image_name, patient_id, sex, age_approx, anatom_site_general_challenge.")
    var meta: String?
    @Option(name: .flag("--age"), help: "Age in years (all images).")
    var age: Double?
    @Option(name: .flag("--sex"), help: "male or female (all images).")
    var sex: String?
    @Option(name: .flag("--site"), help: "anatom_site_general_challenge value, e.g. torso (all images).")
    var site: String?
    @Option(name: .flag("--n-images"), help: "Images of this patient (default: 1).")
    var nImages: Int?
    @Option(name: .flag("--gradcam"), help: "Write Grad-CAM overlays (image | heat map) as PNGs to this folder.")
    var gradcam: String?
    @Flag(name: .flag("--json"), help: "One JSON object per image instead of a table.")
    var json = false
    @Option(name: .flag("--batch-size"), help: "Images per batch.")
    var batchSize = 16

    func run() throws {
        try reportingErrors("predict-image") {
            if meta != nil && (age != nil || sex != nil || site != nil || nImages != nil) {
                throw ValidationError("give --meta or --age/--sex/--site/--n-images, not both")
            }
            let files = try ImagePaths.expand(inputs)
            let predictor = try model.load()
            let table = try meta.map { try PatientInfo.table(csv: $0) }
            let flagsInfo = PatientInfo(age: age, sex: sex, site: site, nImages: nImages)
            if let gradcam { try FileManager.default.createDirectory(atPath: gradcam, withIntermediateDirectories: true) }
            if !json { printHeader(predictor) }
            for start in stride(from: 0, to: files.count, by: max(1, batchSize)) {
                let chunk = files[start ..< min(files.count, start + max(1, batchSize))]
                let prepared = try chunk.map { path -> PreparedImage in
                    let stem = (((path as NSString).lastPathComponent) as NSString).deletingPathExtension
                    var info = flagsInfo
                    if let table {
                        guard let row = table[stem] else {
                            throw DataError(file: meta!, column: "image_name", "no row for image '\(stem)' (\(path))")
                        }
                        info = row
                    }
                    let data = try Data(contentsOf: URL(fileURLWithPath: path))
                    return try predictor.prepare(ImageInput(name: path, data: data, info: info))
                }
                let results = try predictor.predict(prepared)
                if let gradcam {
                    let size = predictor.overlaySize
                    let cams = try predictor.gradCAM(prepared, size: size)
                    for (p, cam) in zip(prepared, cams) {
                        let stem = (((p.name as NSString).lastPathComponent) as NSString).deletingPathExtension
                        let url = URL(fileURLWithPath: gradcam).appendingPathComponent("\(stem)_gradcam.png")
                        try AtomicFile.write(try ImagePredictor.overlayPNG(p, cam: cam, size: size), to: url)
                    }
                }
                for r in results { json ? printJSON(r) : printRow(r) }
            }
        }
    }

    func printHeader(_ p: ImagePredictor) {
        let models = p.models.map(\.description.kernelType).joined(separator: " | ")
        say("research tool, not a diagnosis; models: \(models); \(p.nTest) TTA variants")
        say(pad("image", 32) + " probability  percentile  per model (probability / percentile)")
    }

    func printRow(_ r: ImagePrediction) {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }
        let per = r.models.map { "\($0.kernelType) \(String(format: "%.6f", $0.probability)) / \(pct($0.percentile))" }
        say(pad((r.image as NSString).lastPathComponent, 32) + String(format: " %11.6f", r.probability)
            + " " + String(repeating: " ", count: max(0, 11 - pct(r.percentile).count)) + pct(r.percentile)
            + "  " + per.joined(separator: "; "))
        for n in r.metadataNotes { say("    metadata: \(n)") }
    }

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    func printJSON(_ r: ImagePrediction) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        if let data = try? enc.encode(r) { say(String(decoding: data, as: UTF8.self)) }
    }
}
