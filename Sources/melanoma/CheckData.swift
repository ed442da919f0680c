import ArgumentParser
import Foundation
import MelanomaKit

/// Validates a dataset the way a training run will read it and prints what the model will see.
struct CheckData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-data",
        abstract: "Validate a dataset (CSV files, folds, labels, metadata, image files) and print a summary.",
        discussion: """
        Reads DATA_DIR/jpeg-melanoma-FxF/{train.csv,test.csv} and, when present, DATA_DIR/jpeg-isic2019-FxF/train.csv \
        as training does. Every problem names the file, row and column. Exits 1 on any error; warnings are what \
        training can live with.
        """
    )

    @Option(name: .flag("--data-dir"), help: "Folder holding jpeg-melanoma-FxF (and jpeg-isic2019-FxF).")
    var dataDir: String
    @Option(name: .flag("--data-folder"), parsing: .unconditional, help: "Stored resolution F of jpeg-melanoma-FxF.")
    var dataFolder: Int
    @Option(name: .flag("--kernel-type"), help: "Kernel type as in training; 'newfold' / 'oldfold' in it pick the fold map.")
    var kernelType = ""
    @Option(name: .flag("--out-dim"), parsing: .unconditional, help: "9 or 4 output classes (changes the external diagnosis mapping).")
    var outDim = 9
    @Flag(name: .flag("--use-meta"), help: "Validate and compute the metadata features.")
    var useMeta = false
    @Option(name: .flag("--export"), help: "Write prepared_train.csv and prepared_test.csv to this folder.")
    var export: String?
    @Option(name: .flag("--fold-seed"), parsing: .unconditional, help: "Seed of the folds made for a train.csv without tfrecord.")
    var foldSeed: UInt64 = 0
    @Flag(name: .flag("--quick"),
          help: "Read only each image's header (format and size) instead of decoding every pixel.")
    var quick = false
    @Option(name: .flag("--max-problems"), parsing: .unconditional, help: "Problems listed per severity before the rest are counted.")
    var maxProblems = 40

    func run() throws {
        let config = DatasetConfig(dataDir: dataDir, dataFolder: dataFolder, kernelType: kernelType, outDim: outDim,
                                   useMeta: useMeta, foldSeed: foldSeed, imageCheck: quick ? .header : .decode)
        var result: (dataset: Dataset?, report: DataReport)?
        let bar = ProgressBar(total: 0, label: quick ? "reading headers" : "decoding images")
        try reportingErrors("check-data") {
            result = try Dataset.inspect(config, progress: { done, total in bar.update(done: done, total: total) })
        }
        bar.finish()
        guard let (dataset, report) = result else { return }
        print(DataReportPrinter.render(report, config: config, maxProblems: maxProblems))
        let errors = report.errors.count
        if errors > 0 {
            FileHandle.standardError.write(Data("check-data: \(errors) error(s); first: \(report.errors[0])\n".utf8))
            throw ExitCode(1)
        }
        if let export, let dataset {
            try reportingErrors("check-data") { try dataset.exportPrepared(to: export) }
            print("exported \(export)/prepared_train.csv (\(dataset.train.count) rows) and prepared_test.csv (\(dataset.test.count) rows)")
        }
        print("ok")
    }
}

enum DataReportPrinter {
    static func render(_ r: DataReport, config: DatasetConfig, maxProblems: Int) -> String {
        var out: [String] = []
        let kind = FoldMap.kind(kernelType: config.kernelType)
        out.append("dataset      \(config.dataDir) (folder \(config.dataFolder)), fold map \(kind.rawValue), out_dim \(config.outDim), use_meta \(config.useMeta ? "yes" : "no")")
        out.append("files")
        for f in r.files {
            var line = "  \(pad(f.role, 16)) rows \(f.rowsRead), kept \(f.rowsKept)"
            for d in f.dropped { line += ", dropped \(d.count) (\(d.reason))" }
            out.append(line + "   \(f.path)")
        }
        out.append("missing values (kept rows)")
        for f in r.files {
            let m = f.missing.filter { $0.count > 0 }.map { "\($0.column) \($0.count)" }
            out.append("  \(pad(f.role, 16)) " + (m.isEmpty ? "none" : m.joined(separator: ", ")))
        }
        if !r.classes.isEmpty {
            let cls = r.classes.enumerated().map { "\($0)=\($1) (\(r.classCounts[$0]))" }.joined(separator: ", ")
            out.append("classes      \(r.classes.count): \(cls)")
            out.append("mel_idx      \(r.melIdx.map(String.init) ?? "undefined (no melanoma rows)")")
            out.append("folds x classes (train rows; ext = external rows among them)")
            let w = max(6, (r.classes.map(\.count).max() ?? 4) + 1)
            out.append("  fold " + r.classes.map { pad($0, w, right: true) }.joined() + pad("total", 8, right: true)
                       + pad("ext", 7, right: true) + pad("mel %", 8, right: true))
            for (k, counts) in r.foldClassCounts.enumerated() {
                let total = counts.reduce(0, +)
                let mel = r.melIdx.map { total > 0 ? 100 * Double(counts[$0]) / Double(total) : 0 } ?? 0
                out.append("  \(pad(String(k), 4)) " + counts.map { pad(String($0), w, right: true) }.joined()
                           + pad(String(total), 8, right: true) + pad(String(r.foldExtCounts[k]), 7, right: true)
                           + pad(String(format: "%.2f", mel), 8, right: true))
            }
        }
        var images = "images       \(r.imagesChecked) listed, \(r.imagesMissing) missing, \(r.imagesUnreadable) unreadable"
            + (r.imageCheck == .decode ? ", every pixel decoded" : ", headers read (--quick)")
        if !r.imageDimensions.isEmpty {
            images += "; sizes: " + r.imageDimensions.sorted { $0.value > $1.value }
                .map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        }
        out.append(images)
        if !r.metaFeatureNames.isEmpty {
            out.append("meta         \(r.metaFeatureNames.count) features: \(r.metaFeatureNames.joined(separator: ", "))")
        }
        for n in r.notes { out.append("note         \(n)") }
        for (title, list) in [("warnings", r.warnings), ("errors", r.errors)] where !list.isEmpty {
            out.append("\(title) (\(list.count))")
            for p in list.prefix(maxProblems) { out.append("  \(p)") }
            if list.count > maxProblems { out.append("  ... and \(list.count - maxProblems) more") }
        }
        out.append(r.errors.isEmpty ? "result       no errors" : "result       \(r.errors.count) error(s)")
        return out.joined(separator: "\n")
    }

    private static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return right ? fill + s : s + fill
    }
}
