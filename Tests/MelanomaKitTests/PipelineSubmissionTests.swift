import Foundation
import Testing
import TestSupport
@testable import MelanomaKit

@Suite("Pipeline submission and OOF files")
struct PipelineSubmissionTests {
    func file(_ dir: URL, _ name: String, _ text: String) throws -> URL {
        let u = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u
    }

    func expectError(_ url: URL, contains parts: [String]) {
        do {
            _ = try Submission.read(url)
            Issue.record("\(url.lastPathComponent) was accepted")
        } catch {
            let m = "\(error)"
            for p in parts { #expect(m.contains(p), "message '\(m)' lacks '\(p)'") }
        }
    }

    @Test func roundTripAndQuoting() throws {
        let dir = try Reference.temporaryDirectory("pipeline-sub")
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = Submission(imageNames: ["ISIC_0052060", "odd,name", "q\"uote"],
                           targets: [0.7, 1e-5, 0.30000001192092896])
        let u = dir.appendingPathComponent("sub.csv")
        try s.write(to: u)
        #expect(try Submission.read(u) == s)
        let text = try String(contentsOf: u, encoding: .utf8)
        #expect(text.hasPrefix("image_name,target\nISIC_0052060,0.7\n\"odd,name\",1e-05\n"))
        // no temporary file is left next to it
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["sub.csv"])

        // CRLF, BOM, extra columns, blank trailing lines are accepted.
        let v = try file(dir, "crlf.csv", "\u{FEFF}image_name,patient_id,target\r\nA,p1,0.5\r\nB,p2,1\r\n\r\n")
        #expect(try Submission.read(v) == Submission(imageNames: ["A", "B"], targets: [0.5, 1]))
    }

    @Test func errorsNameFileLineAndColumn() throws {
        let dir = try Reference.temporaryDirectory("pipeline-sub-err")
        defer { try? FileManager.default.removeItem(at: dir) }
        expectError(try file(dir, "nan.csv", "image_name,target\nA,0.1\nB,abc\n"), contains: ["nan.csv", "line 3", "target", "abc"])
        expectError(try file(dir, "nocol.csv", "image_name,pred\nA,0.1\n"), contains: ["nocol.csv", "target"])
        expectError(try file(dir, "ragged.csv", "image_name,target\nA,0.1\nB,0.2,9\n"), contains: ["ragged.csv", "line 3", "3 fields"])
        expectError(try file(dir, "dup.csv", "image_name,target\nA,0.1\nB,0.2\nA,0.3\n"), contains: ["dup.csv", "row 3 (line 4)", "'A'", "on row 1"])
        expectError(try file(dir, "empty.csv", ""), contains: ["empty.csv", "empty"])
        expectError(try file(dir, "header.csv", "image_name,target\n"), contains: ["header.csv", "no rows"])
        expectError(try file(dir, "quote.csv", "image_name,target\n\"A,0.1\n"), contains: ["quote.csv", "row 1 (line 2)"])
        expectError(dir.appendingPathComponent("missing.csv"), contains: ["missing.csv", "cannot read"])
    }

    @Test func oofRoundTrip() throws {
        let dir = try Reference.temporaryDirectory("pipeline-oof")
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = [OOFPrediction(imageName: "ISIC_1", fold: 0, isExt: false, target: 1, pred: 0.93),
                    OOFPrediction(imageName: "ISIC_0000000", fold: 4, isExt: true, target: 0, pred: 1.5e-7)]
        let u = dir.appendingPathComponent("k_best_oof.csv")
        try OOFFile.write(rows, to: u)
        #expect(try OOFFile.read(u) == rows)
        let bad = try file(dir, "bad.csv", "image_name,fold,is_ext,target,pred\nA,0,2,1,0.5\n")
        #expect(throws: DataError.self) { try OOFFile.read(bad) }
        do { _ = try OOFFile.read(bad) } catch { #expect("\(error)".contains("row 1 (line 2), column 'is_ext'")) }
    }
}
