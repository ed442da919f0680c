import Basics
import Foundation
import Torch

/// What `melanoma report` reads.
public struct ReportInputs: Sendable {
    public var modelDir: URL?
    public var logDir: URL
    public var oofDir: URL
    /// Empty: every kernel with an OOF file or a history.
    public var kernelTypes: [String]
    public var bootstrap: Int
    public var seed: UInt64

    public init(modelDir: URL?, logDir: URL, oofDir: URL, kernelTypes: [String] = [], bootstrap: Int = 1000,
                seed: UInt64 = 0) {
        self.modelDir = modelDir
        self.logDir = logDir
        self.oofDir = oofDir
        self.kernelTypes = kernelTypes
        self.bootstrap = bootstrap
        self.seed = seed
    }
}

/// What `melanoma report` wrote.
public struct ReportOutput: Sendable {
    public var page: URL
    public var images: [URL]
    public var models: [ModelReport]
    public var histories: [String: [EpochRecord]]
}

/// Finds the inputs, computes every number and chart, and writes `index.html` plus one PNG per chart.
public enum ReportBuilder {
    /// `{kernel}_{eval}_oof.csv` in the OOF folder for each kernel (all of them when none are named).
    static func oofFiles(_ inputs: ReportInputs) throws -> [(name: String, url: URL)] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: inputs.oofDir.path)) ?? [])
            .filter { $0.hasSuffix("_oof.csv") }.sorted()
        let wanted = inputs.kernelTypes.isEmpty ? all : all.filter { file in
            inputs.kernelTypes.contains { k in EvalChoice.allCases.contains { file == "\(k)_\($0.rawValue)_oof.csv" } }
        }
        return wanted.map { (EnsembleWeightsFile.modelName(URL(fileURLWithPath: $0)), inputs.oofDir.appendingPathComponent($0)) }
    }

    /// `log_{kernel}.jsonl` for each kernel (all of them when none are named).
    static func historyFiles(_ inputs: ReportInputs) -> [(kernel: String, url: URL)] {
        let names = inputs.kernelTypes.isEmpty
            ? ((try? FileManager.default.contentsOfDirectory(atPath: inputs.logDir.path)) ?? [])
                .filter { $0.hasPrefix("log_") && $0.hasSuffix(".jsonl") }.sorted()
                .map { String($0.dropFirst(4).dropLast(6)) }
            : inputs.kernelTypes
        return names.map { ($0, inputs.logDir.appendingPathComponent(TrainHistory.fileName(kernelType: $0))) }
            .filter { FileManager.default.fileExists(atPath: $0.url.path) }
    }

    public static func build(_ inputs: ReportInputs, out: URL, progress: (String) -> Void = { _ in }) throws -> ReportOutput {
        let oofs = try oofFiles(inputs), logs = historyFiles(inputs)
        guard !oofs.isEmpty || !logs.isEmpty else {
            throw RunError("no OOF files (*_oof.csv) in \(inputs.oofDir.path) and no histories "
                + "(log_*.jsonl) in \(inputs.logDir.path)"
                + (inputs.kernelTypes.isEmpty ? "" : " for \(inputs.kernelTypes.joined(separator: ", "))"))
        }
        var page = ReportPage(title: "Melanoma report")
        var charts: [(file: String, canvas: Canvas)] = []
        page.paragraph("OOF files from \(inputs.oofDir.path), training histories from \(inputs.logDir.path). "
            + "AUC intervals: percentile bootstrap, \(inputs.bootstrap) resamples, seed \(inputs.seed).", className: "note")

        var histories: [String: [EpochRecord]] = [:]
        if !logs.isEmpty { page.heading("Training") }
        for (kernel, url) in logs {
            let h = try TrainHistory.read(url)
            histories[kernel] = h
            page.heading(kernel, level: 3)
            let c = ReportCharts.history(kernel: kernel, h)
            page.charts(c)
            charts += c.enumerated().map { ("history_\(slug(kernel))_\(["loss", "auc", "auc20", "lr"][$0.offset]).png", $0.element) }
            page.table(ReportTables.history(h), caption: "Best epoch per fold")
        }

        var models: [ModelReport] = []
        if !oofs.isEmpty { page.heading("Out-of-fold predictions") }
        for (name, url) in oofs {
            progress("report: \(name) (\(url.lastPathComponent))")
            let m = try ModelReport.compute(name: name, table: try OOFFile.readTable(url), bootstrap: inputs.bootstrap,
                                            seed: inputs.seed)
            models.append(m)
            page.heading(name, level: 3)
            page.table(ReportTables.summary(m), caption: "Scores over \(m.table.rows.count) OOF rows")
            let c = ReportCharts.oof(m)
            page.charts(c.map(\.canvas))
            charts += c.map { ("\(slug(name))_\($0.file).png", $0.canvas) }
            if m.confusion == nil {
                page.paragraph("No confusion matrix: this OOF file has no class probabilities (written by an older evaluate).",
                               className: "note")
            }
        }
        if models.count > 1 {
            page.heading("Model comparison")
            page.table(ReportTables.comparison(models), caption: "OOF AUCs (raw and ranked within fold) and per-fold spread")
            // Models from different data share no rows; the table above still holds, the correlation does not.
            do {
                let cmp = try ModelComparison.compute(models)
                let heat = ReportCharts.correlation(cmp)
                page.charts([heat])
                charts.append(("comparison_rank_correlation.png", heat))
                page.paragraph("Correlation of OOF percentile ranks (Spearman) over the \(cmp.sharedRows) rows all models predicted; "
                + "low correlation between good models is what a rank ensemble gains from.", className: "note")
            } catch {
                page.paragraph("No rank correlation: \(error)", className: "note")
            }
        }
        if let dir = inputs.modelDir {
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                .filter { f in (f.hasSuffix(".pth") || f.hasSuffix(".safetensors"))
                    && (inputs.kernelTypes.isEmpty || inputs.kernelTypes.contains { f.hasPrefix($0 + "_") }) }.sorted()
            if !files.isEmpty {
                page.heading("Checkpoints")
                page.table([["file", "MiB"]] + files.map { f in
                    let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(f).path)[.size]
                        as? Int) ?? 0
                    return [f, String(format: "%.1f", Double(size) / 1_048_576)]
                }, caption: dir.path)
            }
        }

        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var images: [URL] = []
        for (file, canvas) in charts {
            let url = out.appendingPathComponent(file)
            let data = try Raster(canvas).pngData()
            try AtomicFile.write(data, to: url)
            images.append(url)
        }
        let pageURL = out.appendingPathComponent("index.html")
        let html = page.html
        try AtomicFile.write(html, to: pageURL)
        return ReportOutput(page: pageURL, images: images, models: models, histories: histories)
    }

    /// File-name-safe version of a model name.
    static func slug(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" })
    }
}
