import Foundation
import MelanomaKit
import Testing

/// Every user-caused data problem is a DataError naming the file, the row (line) and the column.
@Suite struct DataBadInputTests {
    func problems(train: [String], header: String = DataFixture.header, useMeta: Bool = true,
                  test: String? = nil) throws -> [DataProblem] {
        let root = try DataFixture.make(train: ([header] + train).joined(separator: "\n") + "\n", test: test)
        defer { try? FileManager.default.removeItem(at: root) }
        do {
            _ = try Dataset.load(DataFixture.config(root, useMeta: useMeta))
            return []
        } catch let e as DataError {
            return e.problems
        }
    }

    func expectProblem(_ problems: [DataProblem], file: String, row: Int, line: Int, column: String?,
                       contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let hit = problems.first { $0.message.contains(text) }
        #expect(hit != nil, "no problem mentions '\(text)': \(problems)", sourceLocation: sourceLocation)
        guard let hit else { return }
        let d = hit.description
        #expect(d.contains(file), "file missing in: \(d)", sourceLocation: sourceLocation)
        #expect(d.contains("row \(row) (line \(line))"), "row/line missing in: \(d)", sourceLocation: sourceLocation)
        if let column { #expect(d.contains("column '\(column)'"), "column missing in: \(d)", sourceLocation: sourceLocation) }
        #expect(hit.severity == .error)
    }

    @Test func goodFixtureLoads() throws {
        #expect(try problems(train: DataFixture.goodTrain).isEmpty)
    }

    @Test func missingColumn() throws {
        let header = DataFixture.header.replacingOccurrences(of: ",diagnosis", with: "")
        let rows = DataFixture.goodTrain.map { $0.replacingOccurrences(of: ",nevus", with: "")
            .replacingOccurrences(of: ",melanoma", with: "").replacingOccurrences(of: ",unknown", with: "")
            .replacingOccurrences(of: ",seborrheic keratosis", with: "") }
        let p = try problems(train: rows, header: header)
        expectProblem(p, file: "train.csv", row: 0, line: 1, column: "diagnosis", contains: "missing column")
    }

    @Test func missingMetaColumnOnlyMattersWithUseMeta() throws {
        let header = DataFixture.header.replacingOccurrences(of: "sex,", with: "")
        let rows = DataFixture.goodTrain.map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f.remove(at: 2)
            return f.joined(separator: ",")
        }
        let p = try problems(train: rows, header: header)
        expectProblem(p, file: "train.csv", row: 0, line: 1, column: "sex", contains: "missing column 'sex'")
        #expect(try problems(train: rows, header: header, useMeta: false).isEmpty)
    }

    @Test func unparseableNumber() throws {
        var rows = DataFixture.goodTrain
        rows[1] = rows[1].replacingOccurrences(of: "45.0", with: "forty")
        expectProblem(try problems(train: rows), file: "train.csv", row: 2, line: 3, column: "age_approx",
                      contains: "cannot parse 'forty'")
        rows = DataFixture.goodTrain
        rows[2] = rows[2].replacingOccurrences(of: ",3,6000", with: ",three,6000")
        expectProblem(try problems(train: rows, useMeta: false), file: "train.csv", row: 3, line: 4, column: "tfrecord",
                      contains: "cannot parse 'three'")
    }

    @Test func unknownSexValue() throws {
        var rows = DataFixture.goodTrain
        rows[2] = rows[2].replacingOccurrences(of: "female", with: "F")
        expectProblem(try problems(train: rows), file: "train.csv", row: 3, line: 4, column: "sex",
                      contains: "unknown sex value 'F'")
    }

    @Test func unknownSexInTestFile() throws {
        let test = "image_name,patient_id,sex,age_approx,anatom_site_general_challenge,width,height\n"
            + "ISIC_0100001,IP_9,female,50.0,torso,1024,768\nISIC_0100002,IP_9,Female,50.0,,1024,768\n"
        expectProblem(try problems(train: DataFixture.goodTrain, test: test), file: "test.csv", row: 2, line: 3,
                      column: "sex", contains: "unknown sex value 'Female'")
    }

    @Test func duplicatedImageName() throws {
        var rows = DataFixture.goodTrain
        rows[3] = rows[3].replacingOccurrences(of: "ISIC_0000004", with: "ISIC_0000002")
        expectProblem(try problems(train: rows, useMeta: false), file: "train.csv", row: 4, line: 5,
                      column: "image_name", contains: "duplicated image_name 'ISIC_0000002' (first at row 2)")
    }

    @Test func emptyCSV() throws {
        let root = try DataFixture.make(train: "")
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try #require(throws: DataError.self) { try Dataset.load(DataFixture.config(root)) }
        // An empty file has no columns to name: the problem points at the header line.
        #expect(e.description.contains("train.csv row 0 (line 1)"), "\(e)")
        #expect(e.description.contains("empty"), "\(e)")
        expectProblem(try problems(train: []), file: "train.csv", row: 0, line: 1, column: nil,
                      contains: "has a header but no rows")
    }

    @Test func missingImageFile() throws {
        let root = try DataFixture.make(train: ([DataFixture.header] + DataFixture.goodTrain).joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: root) }
        let image = root.appendingPathComponent("jpeg-melanoma-32x32/train/ISIC_0000003.jpg")
        try FileManager.default.removeItem(at: image)
        let e = try #require(throws: DataError.self) { try Dataset.load(DataFixture.config(root, useMeta: false)) }
        expectProblem(e.problems, file: "train.csv", row: 3, line: 4, column: "image_name", contains: "is missing")
        #expect(e.description.contains(image.path))
    }

    @Test func unreadableJPEGWhenProbing() throws {
        let root = try DataFixture.make(train: ([DataFixture.header] + DataFixture.goodTrain).joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(at: root) }
        var config = DataFixture.config(root, useMeta: false)
        config.imageCheck = .decode
        let e = try #require(throws: DataError.self) { try Dataset.load(config) }
        expectProblem(e.problems, file: "train.csv", row: 1, line: 2, column: "image_name", contains: "not a JPEG or PNG")
    }

    @Test func raggedRowAndBadQuoting() throws {
        var rows = DataFixture.goodTrain
        rows[1] += ",extra"
        expectProblem(try problems(train: rows), file: "train.csv", row: 2, line: 3, column: nil,
                      contains: "the row has 12 fields, the header has 11")
        rows = DataFixture.goodTrain
        rows[2] = rows[2].replacingOccurrences(of: "IP_2", with: "\"IP_2\"x")
        expectProblem(try problems(train: rows), file: "train.csv", row: 3, line: 4, column: nil,
                      contains: "cannot parse the CSV")
    }

    @Test func tfrecordOutOfRange() throws {
        var rows = DataFixture.goodTrain
        rows[0] = rows[0].replacingOccurrences(of: ",0,0,6000", with: ",0,15,6000")
        expectProblem(try problems(train: rows), file: "train.csv", row: 1, line: 2, column: "tfrecord",
                      contains: "tfrecord 15 has no fold")
    }

    @Test func lineNumbersFollowEmbeddedNewlines() throws {
        let text = "a,b\n\"x\ny\",1\n\n3,\"q\"\n"
        let t = try CSVTable.parse(text: text, path: "t.csv")
        #expect(t.rows == [["x\ny", "1"], ["3", "q"]])
        #expect(t.lines == [2, 5])
    }
}
