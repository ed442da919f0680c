import Basics
import Foundation

/// A CSV row that survived the row filters, with the fields get_df and get_meta_data use.
struct RawRow: Sendable {
    var file: String
    var row: Int
    var line: Int
    var imageName: String
    var filepath: String
    var patientID: String?
    var sex: Float = -1
    var age: Double?
    var site: String?
    var diagnosis: String = ""
    var tfrecord: Int?
    var isExt = false
}

/// get_df + get_meta_data, collecting every problem instead of stopping at the first.
enum DatasetLoader {
    enum Role: String { case train2020 = "train (2020)", external = "external (2019)", test = "test" }

    static let metaColumns = ["patient_id", "sex", "age_approx", "anatom_site_general_challenge"]

    static func inspect(_ config: DatasetConfig,
                        progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> (Dataset?, DataReport) {
        guard config.outDim == 9 || config.outDim == 4 else {
            throw RunError(.outDim, "\(config.outDim) is not supported (9 or 4)")
        }
        var log = ProblemLog()
        var report = DataReport()
        let fm = FileManager.default

        let t2020 = readRows(role: .train2020, path: config.train2020CSV, imageDir: config.folder2020.appendingPath("train"),
                             config: config, required: true, log: &log, report: &report)
        var external: ReadResult?
        if fm.fileExists(atPath: config.externalCSV) {
            external = readRows(role: .external, path: config.externalCSV,
                                imageDir: config.folderExternal.appendingPath("train"), config: config, required: true,
                                log: &log, report: &report)
        } else {
            report.notes.append("no external data (\(config.externalCSV) is absent)")
        }
        var test: ReadResult?
        if fm.fileExists(atPath: config.testCSV) {
            test = readRows(role: .test, path: config.testCSV, imageDir: config.folder2020.appendingPath("test"),
                            config: config, required: false, log: &log, report: &report)
        } else {
            log.warning(config.testCSV, "test.csv is absent: no test rows, site columns come from train rows only")
        }
        crossFileDuplicates(t2020, external, test, log: &log)

        guard var train = t2020?.rows else {
            report.problems = log.problems
            return (nil, report)
        }
        let kind = FoldMap.kind(kernelType: config.kernelType)
        var folds = [Int](repeating: -1, count: train.count)
        assignFolds(&folds, rows: train, result: t2020, kind: kind, ext: false, config: config, log: &log,
                    report: &report)
        if let external {
            var extFolds = [Int](repeating: -1, count: external.rows.count)
            assignFolds(&extFolds, rows: external.rows, result: external, kind: kind, ext: true, config: config,
                        log: &log, report: &report)
            train += external.rows
            folds += extFolds
        }
        let testRows = test?.rows ?? []

        // Class mapping: sorted unique diagnoses, as Python sorts str.
        let classes = Set(train.map(\.diagnosis)).sorted(by: pythonLess)
        report.classes = classes
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        report.classCounts = classes.map { c in train.filter { $0.diagnosis == c }.count }
        let melIdx = index["melanoma"]
        report.melIdx = melIdx
        if melIdx == nil && !train.isEmpty {
            log.error(config.train2020CSV, column: "diagnosis",
                      "no kept row has diagnosis 'melanoma' (or 'MEL' in the external file): mel_idx is undefined")
        }
        if classes.count > config.outDim {
            log.error(config.train2020CSV, column: "diagnosis",
                      "\(classes.count) classes (\(classes.joined(separator: ", "))) do not fit --out-dim \(config.outDim)")
        } else if classes.count < config.outDim && !train.isEmpty {
            log.warning(config.train2020CSV, column: "diagnosis",
                        "\(classes.count) classes for --out-dim \(config.outDim): \(config.outDim - classes.count) outputs are never a target")
        }
        if train.isEmpty { log.error(config.train2020CSV, "no training rows are left after the row filters") }

        // Images: existence and byte size (image_size feature); with check-data also the header or every pixel.
        let total = train.count + testRows.count, offset = train.count
        func shifted(_ by: Int) -> (@Sendable (Int, Int) -> Void)? {
            guard let progress else { return nil }
            return { done, _ in progress(by + done, total) }
        }
        let trainSizes = ImageFileChecker.check(train, mode: config.imageCheck, log: &log, report: &report,
                                                progress: shifted(0))
        let testSizes = ImageFileChecker.check(testRows, mode: config.imageCheck, log: &log, report: &report,
                                               progress: shifted(offset))
        report.imageCheck = config.imageCheck

        var metaNames: [String] = []
        var trainMeta: [[Float]] = Array(repeating: [], count: train.count)
        var testMeta: [[Float]] = Array(repeating: [], count: testRows.count)
        if config.useMeta {
            let meta = MetaFeatures.build(train: train, trainSizes: trainSizes, test: testRows, testSizes: testSizes)
            metaNames = meta.names
            trainMeta = meta.train
            testMeta = meta.test
            if testRows.contains(where: { $0.patientID == nil }) {
                log.warning(config.testCSV, column: "patient_id",
                            "test rows without patient_id are counted as one patient for n_images (the original gives NaN)")
            }
        }
        report.metaFeatureNames = metaNames

        let nFolds = 5
        report.foldClassCounts = Array(repeating: Array(repeating: 0, count: classes.count), count: nFolds)
        report.foldExtCounts = Array(repeating: 0, count: nFolds)
        var samples: [Sample] = []
        samples.reserveCapacity(train.count)
        for (i, r) in train.enumerated() {
            let target = index[r.diagnosis] ?? -1
            if (0 ..< nFolds).contains(folds[i]) && target >= 0 {
                report.foldClassCounts[folds[i]][target] += 1
                if r.isExt { report.foldExtCounts[folds[i]] += 1 }
            }
            samples.append(Sample(imageName: r.imageName, filepath: r.filepath, patientID: r.patientID,
                                  diagnosis: r.diagnosis, target: target, fold: folds[i], isExt: r.isExt,
                                  meta: trainMeta[i]))
        }
        if let melIdx {
            // A fold without melanoma has no validation AUC: train refuses it, so say which one here.
            for (k, counts) in report.foldClassCounts.enumerated() where counts.reduce(0, +) > 0 && counts[melIdx] == 0 {
                log.warning(config.train2020CSV, column: "diagnosis",
                            "fold \(k) has no melanoma (\(counts.reduce(0, +)) rows): validating on it gives no "
                            + "AUC, so `melanoma train` refuses to train it")
            }
        }
        let testSamples = testRows.enumerated().map { i, r in
            Sample(imageName: r.imageName, filepath: r.filepath, patientID: r.patientID, meta: testMeta[i])
        }
        report.problems = log.problems
        let dataset = Dataset(config: config, train: samples, test: testSamples, classes: classes,
                              melIdx: melIdx ?? -1, metaFeatureNames: metaNames, report: report)
        return (dataset, report)
    }

    // MARK: - Folds

    private static func assignFolds(_ folds: inout [Int], rows: [RawRow], result: ReadResult?, kind: FoldMap.Kind,
                                    ext: Bool, config: DatasetConfig, log: inout ProblemLog,
                                    report: inout DataReport) {
        guard let result else { return }
        var tfrecords = rows.map { $0.tfrecord ?? -1 }
        if !result.hasTFRecord {
            let dir = (result.path as NSString).deletingLastPathComponent
            let foldsPath = dir.appendingPath(FoldsFile.name)
            if FileManager.default.fileExists(atPath: foldsPath) {
                do {
                    let map = try FoldsFile.read(path: foldsPath)
                    var groupOf: [String: (group: Int, image: String)] = [:]
                    for (i, r) in rows.enumerated() {
                        guard let e = map[r.imageName] else {
                            log.error(r.file, row: r.row, line: r.line, column: "image_name",
                                      "'\(r.imageName)' has no row in \(foldsPath); delete that file to make new folds")
                            continue
                        }
                        tfrecords[i] = e.tfrecord
                        let patient = foldPatient(r.patientID)
                        if let recorded = e.patient, recorded != (patient ?? "") {
                            log.error(r.file, row: r.row, line: r.line, column: "patient_id",
                                      "patient '\(patient ?? "")' of '\(r.imageName)' was '\(recorded)' when \(foldsPath) "
                                      + "was made; delete that file to make new folds")
                        } else if let patient {
                            if let g = groupOf[patient], g.group != e.tfrecord {
                                log.error(r.file, row: r.row, line: r.line, column: "patient_id",
                                          "\(foldsPath) puts patient '\(patient)' in two groups (\(g.image) and "
                                          + "\(r.imageName)); delete that file to make new folds")
                            }
                            groupOf[patient] = groupOf[patient] ?? (e.tfrecord, r.imageName)
                        }
                    }
                    report.notes.append("\(result.role.rawValue): no tfrecord column, folds reused from \(foldsPath)")
                } catch let e as DataError {
                    e.problems.forEach { log.append($0) }
                } catch {
                    log.error(foldsPath, "\(error)")
                }
            } else {
                let patients = rows.map { foldPatient($0.patientID) }
                let groups = FoldMaker.assignGroups(
                    patients: patients,
                    malignant: rows.map { $0.diagnosis == "melanoma" }, seed: config.foldSeed)
                tfrecords = groups
                var note = "\(result.role.rawValue): no tfrecord column, folds made by patient with seed \(config.foldSeed)"
                if config.writeFolds {
                    AtomicFile.removeStale(in: URL(fileURLWithPath: dir))  // a folds.csv write a kill interrupted
                    do {
                        try FoldsFile.write(path: foldsPath, names: rows.map(\.imageName), patients: patients, groups: groups)
                        note += " and written to \(foldsPath)"
                    } catch {
                        log.warning(foldsPath, "cannot write the folds made (\(error.localizedDescription)); they are used but not kept")
                    }
                }
                report.notes.append(note)
            }
        }
        for (i, r) in rows.enumerated() where tfrecords[i] >= 0 {
            if ext {
                folds[i] = FoldMap.foldExternal(tfrecord: tfrecords[i], kind: kind)
            } else if let f = FoldMap.fold2020(tfrecord: tfrecords[i], kind: kind) {
                folds[i] = f
            } else {
                log.error(r.file, row: r.row, line: r.line, column: "tfrecord",
                          "tfrecord \(tfrecords[i]) has no fold (expected -1 or 0...14)")
            }
        }
    }

    /// The patient that keeps images together in made folds: nil when unknown (each such image stands alone).
    static func foldPatient(_ id: String?) -> String? { id == nil || isNoPatient(id) ? nil : id }

    /// The original forces n_images = 1 for patient_id == -1 (the 2019 rows).
    static func isNoPatient(_ id: String?) -> Bool {
        guard let id, let v = Double(id) else { return false }
        return v == -1
    }

    private static func crossFileDuplicates(_ a: ReadResult?, _ b: ReadResult?, _ test: ReadResult?,
                                            log: inout ProblemLog) {
        guard let a else { return }
        var first: [String: NameRef] = [:]
        for r in a.allNames where first[r.imageName] == nil { first[r.imageName] = r }
        if let b {
            for r in b.allNames {
                if let f = first[r.imageName] {
                    log.error(r.file, row: r.row, line: r.line, column: "image_name",
                              "duplicated image_name '\(r.imageName)' (also \(f.file) row \(f.row))")
                }
            }
            for r in b.allNames where first[r.imageName] == nil { first[r.imageName] = r }
        }
        if let test {
            for r in test.allNames {
                if let f = first[r.imageName] {
                    log.warning(r.file, row: r.row, line: r.line, column: "image_name",
                                "image_name '\(r.imageName)' is also a training image (\(f.file) row \(f.row))")
                }
            }
        }
    }
}
