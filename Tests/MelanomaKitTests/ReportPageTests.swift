import Foundation
import Imaging
import Testing
import TestSupport
@testable import MelanomaKit

private func record(_ epoch: Int, auc: Double, fold: Int = 0) -> EpochRecord {
    EpochRecord(fold: fold, epoch: epoch, lr: 3e-5 * Double(epoch), trainLoss: 1.5 / Double(epoch), validLoss: 1.2 / Double(epoch),
                acc: 40 + Double(epoch), auc: auc, auc20: auc - 0.01, trainImages: 640, trainSeconds: 8,
                validSeconds: 2)
}

@Suite("Report page, history file and PNG charts")
struct ReportPageTests {
    @Test func historyIsValidJSONLinesWithNullForNaN() throws {
        let dir = try Reference.temporaryDirectory("report-history")
        defer { try? FileManager.default.removeItem(at: dir) }
        let h = TrainHistory(logDir: dir, kernelType: "k")
        try h.append(record(1, auc: .nan))
        try h.append(record(2, auc: 0.8))
        try h.append(record(1, auc: 0.7, fold: 1))
        let lines = try String(contentsOf: h.url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && h.url.lastPathComponent == "log_k.jsonl")
        for line in lines {
            // JSONSerialization is strict (no NaN, no trailing commas), as python's json.loads with allow_nan off.
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(o?.keys.count == EpochRecord.historyKeys.count, "\(line)")
        }
        #expect(lines[0].contains("\"auc\":null") && !lines[0].contains("nan"), "\(lines[0])")
        #expect(lines[0].contains("\"images_per_s\":80.0"))
        let back = try TrainHistory.read(h.url)
        #expect(back.count == 3 && back[0].auc.isNaN && back[1].auc == 0.8 && back[2].fold == 1)
        #expect(back[1] == record(2, auc: 0.8))
        // A fold restarted without --resume replaces the earlier run's epochs.
        try h.append(record(1, auc: 0.6))
        let again = try TrainHistory.read(h.url)
        #expect(again.filter { $0.fold == 0 }.map(\.auc) == [0.6])
        // A broken line names the file and line.
        try TrainLog(url: h.url).append("{not json")
        do { _ = try TrainHistory.read(h.url); Issue.record("broken line accepted") } catch {
            #expect("\(error)".contains("log_k.jsonl line 5"), "\(error)")
        }
    }

    @Test func pageIsSelfContainedAndShowsTheReferenceNumbers() throws {
        let dir = try Reference.temporaryDirectory("report-page")
        defer { try? FileManager.default.removeItem(at: dir) }
        let oofs = dir.appendingPathComponent("oofs"), logs = dir.appendingPathComponent("logs")
        try Reference.run("report_metrics.py", [dir.path])
        try FileManager.default.createDirectory(at: oofs, withIntermediateDirectories: true)
        for (from, to) in [("oof_a.csv", "k9a_best_oof.csv"), ("oof_b.csv", "k9b_best_oof.csv"), ("oof_old.csv", "kold_final_oof.csv")] {
            try FileManager.default.copyItem(at: dir.appendingPathComponent(from), to: oofs.appendingPathComponent(to))
        }
        let h = TrainHistory(logDir: logs, kernelType: "k9a")
        for fold in 0 ..< 2 { for e in 1 ... 4 { try h.append(record(e, auc: e == 1 ? .nan : 0.6 + 0.05 * Double(e), fold: fold)) } }

        let out = dir.appendingPathComponent("report")
        let r = try ReportBuilder.build(ReportInputs(modelDir: nil, logDir: logs, oofDir: oofs, bootstrap: 100), out: out)
        #expect(r.models.map(\.name) == ["k9a_best", "k9b_best", "kold_final"])
        let html = try String(contentsOf: r.page, encoding: .utf8)
        // Self-contained: no scripts, stylesheets, fonts or images fetched from anywhere.
        for banned in ["<script", "<link", "<img", "@import", "url(", "https:"] {
            #expect(!html.contains(banned), "page contains \(banned)")
        }
        #expect(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http:") == false)
        #expect(html.components(separatedBy: "<svg").count - 1 == r.images.count, "one inline SVG per PNG")

        // The numbers on the page are sklearn's, formatted.
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json")))
            as! [String: Any]
        for key in ["auc", "ap"] {
            let v = String(format: "%.4f", (expected[key] as! NSNumber).doubleValue)
            #expect(html.contains(v), "page lacks sklearn's \(key) \(v)")
        }
        let cal = expected["calibration"] as! [String: Any]
        #expect(html.contains(String(format: "ECE %.4f", (cal["ece"] as! NSNumber).doubleValue)))
        #expect(html.contains(String(format: "Brier %.4f", (cal["brier"] as! NSNumber).doubleValue)))
        #expect(html.contains("Confusion matrix") && html.contains("Rank correlation") && html.contains("Learning rate"))
        #expect(html.contains("No confusion matrix"), "the old OOF file is explained")

        // 4 history charts + 6 per 9-class model x 2 + 5 for the old file + the correlation heat map.
        #expect(r.images.count == 4 + 12 + 5 + 1, "\(r.images.map(\.lastPathComponent))")
        for url in r.images {
            let img = try Image(contentsOf: url)
            #expect(img.width >= 600 && img.height >= 400, "\(url.lastPathComponent) is \(img.width)x\(img.height)")
        }
    }

    @Test func rasterDrawsWhatTheCanvasSays() throws {
        var c = Canvas(width: 100, height: 60, title: "t")
        c.add(.rect(x: 10, y: 10, width: 20, height: 10, fill: Colour.palette[1], stroke: nil))
        c.line([(0, 50), (100, 50)], Colour.palette[0], width: 2)
        c.text("AUC 0.9", 50, 40, size: 10, anchor: .middle)
        let r = Raster(c, scale: 2)
        #expect(r.width == 200 && r.height == 120)
        #expect(r.pixel(40, 30) == Colour.palette[1], "inside the rectangle")
        #expect(r.pixel(100, 100) == Colour.palette[0], "on the line")
        #expect(r.pixel(5, 5) == .white, "background")
        let inked = (60 ..< 140).flatMap { x in (60 ..< 82).map { y in r.pixel(x, y) } }.filter { $0 == .text }.count
        #expect(inked > 40, "the label left \(inked) dark pixels")
        let png = try r.pngData()
        let back = try Image(data: png)
        #expect(back.width == 200 && back.height == 120)
        #expect(c.svg().hasPrefix("<svg") && c.svg().contains("AUC 0.9"))
    }
}
