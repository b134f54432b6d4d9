
/// One parsed line: its kind and fields, remembering which fields were read.
struct SeedRecord {
    let kind: String
    let line: Int
    let fields: [(key: String, value: String)]
}

struct SeedParser {
    let fileName: String
    private var seed = CommunitySeed()
    /// Where each code of each kind was defined, to report duplicates and resolve references.
    private var definedAt: [String: [String: Int]] = [:]
    /// Which building stands on each cell of the site plan, so two never share one.
    private var planCells: [String: String] = [:]
    /// References to check once the whole file is read: (kind referred to, code, line, field).
    private var references: [(kind: String, code: String, line: Int, field: String)] = []

    init(fileName: String) {
        self.fileName = fileName
    }

    mutating func parse(_ text: String) throws(SeedError) -> CommunitySeed {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let record = try tokenize(rawLine, line: lineNumber)
            guard let record else { continue }
            try apply(record)
        }
        for reference in references where definedAt[reference.kind]?[reference.code] == nil {
            throw SeedError(
                file: fileName, line: reference.line, field: reference.field,
                message: "no \(reference.kind) with code '\(reference.code)' is defined in this file"
            )
        }
        try checkGridNesting()
        try checkCareWorkers()
        return seed
    }

    /// A grid may not be its own ancestor.
    private func checkGridNesting() throws(SeedError) {
        let parents = Dictionary(seed.grids.map { ($0.code, $0.parentCode) }, uniquingKeysWith: { first, _ in first })
        for grid in seed.grids {
            var seen: Set<String> = [grid.code]
            var current = grid.parentCode
            while let code = current {
                if !seen.insert(code).inserted {
                    throw SeedError(
                        file: fileName, line: definedAt["grid"]?[grid.code] ?? 0, field: "parent",
                        message: "grid '\(grid.code)' is nested inside itself")
                }
                current = parents[code] ?? nil
            }
        }
    }

    /// A care record's worker is someone who visits: a grid worker or a building head.
    private func checkCareWorkers() throws(SeedError) {
        let roles = Dictionary(seed.people.map { ($0.code, $0.role) }, uniquingKeysWith: { first, _ in first })
        for record in seed.care {
            guard let worker = record.workerCode, let role = roles[worker], role != .gridWorker, role != .buildingHead else { continue }
            throw SeedError(
                file: fileName, line: definedAt["care"]?[record.code] ?? 0, field: "worker",
                message: "'\(worker)' is a \(role.rawValue); the worker who checks on a household is a grid_worker or building_head")
        }
    }

    // MARK: Lexing

    private func tokenize(_ rawLine: Substring, line: Int) throws(SeedError) -> SeedRecord? {
        var scalars = Array(rawLine.unicodeScalars)
        if let hash = firstUnquotedHash(scalars) { scalars.removeSubrange(hash...) }
        var tokens: [String] = []
        var index = 0
        while index < scalars.count {
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
            guard index < scalars.count else { break }
            var token = String.UnicodeScalarView()
            var inQuotes = false
            while index < scalars.count {
                let scalar = scalars[index]
                if scalar == "\"" {
                    inQuotes.toggle()
                } else if !inQuotes, scalar.properties.isWhitespace {
                    break
                } else {
                    token.append(scalar)
                }
                index += 1
            }
            if inQuotes {
                throw SeedError(file: fileName, line: line, field: nil, message: "a quoted value is not closed")
            }
            tokens.append(String(token))
        }
        guard let kind = tokens.first else { return nil }
        var fields: [(key: String, value: String)] = []
        for token in tokens.dropFirst() {
            guard let equals = token.firstIndex(of: "="), equals != token.startIndex else {
                throw SeedError(file: fileName, line: line, field: nil, message: "'\(token)' is not a key=value field")
            }
            let key = String(token[..<equals])
            if fields.contains(where: { $0.key == key }) {
                throw SeedError(file: fileName, line: line, field: key, message: "the field is given twice")
            }
            fields.append((key, String(token[token.index(after: equals)...])))
        }
        return SeedRecord(kind: kind, line: line, fields: fields)
    }

    private func firstUnquotedHash(_ scalars: [Unicode.Scalar]) -> Int? {
        var inQuotes = false
        for (offset, scalar) in scalars.enumerated() {
            if scalar == "\"" { inQuotes.toggle() }
            if scalar == "#", !inQuotes { return offset }
        }
        return nil
    }

    // MARK: Records

    private mutating func apply(_ record: SeedRecord) throws(SeedError) {
        var fields = FieldReader(record: record, fileName: fileName)
        switch record.kind {
        case "street":
            let street = Street(code: try fields.required("code"), name: try fields.required("name"))
            try define("street", street.code, record.line)
            seed.streets.append(street)
        case "community":
            let community = Community(
                code: try fields.required("code"), name: try fields.required("name"),
                streetCode: try fields.reference("street", kind: "street", into: &references))
            try define("community", community.code, record.line)
            seed.communities.append(community)
        case "grid":
            let grid = Grid(
                code: try fields.required("code"), name: try fields.required("name"),
                communityCode: try fields.reference("community", kind: "community", into: &references),
                parentCode: try fields.optionalReference("parent", kind: "grid", into: &references))
            try define("grid", grid.code, record.line)
            seed.grids.append(grid)
        case "building":
            let code = try fields.required("code")
            let x = try fields.optionalInteger("x", in: 0...99)
            let y = try fields.optionalInteger("y", in: 0...99)
            guard (x == nil) == (y == nil) else { throw fields.error(x == nil ? "x" : "y", "a position on the plan needs both x and y") }
            if let x, let y {
                if let other = planCells["\(x),\(y)"] { throw fields.error("x", "building '\(other)' already stands at x=\(x) y=\(y)") }
                planCells["\(x),\(y)"] = code
            }
            let building = Building(
                code: code, name: try fields.optional("name") ?? "\(code)号楼",
                gridCode: try fields.reference("grid", kind: "grid", into: &references),
                units: try fields.integer("units", in: 1...99), floors: try fields.integer("floors", in: 1...200), planX: x, planY: y)
            try define("building", building.code, record.line)
            seed.buildings.append(building)
        case "household":
            let household = Household(
                code: try fields.required("code"),
                buildingCode: try fields.reference("building", kind: "building", into: &references),
                unit: try fields.optional("unit"), room: try fields.required("room"))
            try define("household", household.code, record.line)
            seed.households.append(household)
        case "department":
            let department = Department(
                code: try fields.required("code"), name: try fields.required("name"),
                kind: try fields.enumeration("kind", DepartmentKind.self))
            try define("department", department.code, record.line)
            seed.departments.append(department)
        case "person":
            let person = try readPerson(&fields)
            try define("person", person.code, record.line)
            seed.people.append(person)
        case "bot":
            let code = try fields.required("code")
            let platform = try fields.enumeration("platform", ChatPlatform.self)
            let bot = Bot(code: code, platform: platform, settings: fields.remaining())
            try define("bot", bot.code, record.line)
            seed.bots.append(bot)
        case "group":
            let group = try readGroup(&fields)
            try define("group", group.code, record.line)
            try define("chat", "\(group.botCode)/\(group.chatID)", record.line)
            seed.chatGroups.append(group)
        case "route":
            let categoryText = try fields.required("category")
            let category: ReportCategory?
            if categoryText == "*" {
                category = nil
            } else if let known = ReportCategory(rawValue: categoryText) {
                category = known
            } else {
                throw SeedError(
                    file: fileName, line: record.line, field: "category",
                    message: "'\(categoryText)' is not a category; use one of \(ReportCategory.allCases.map(\.rawValue).joined(separator: ", ")) or * for the fallback")
            }
            let rule = RoutingRule(
                category: category,
                departmentCode: try fields.reference("department", kind: "department", into: &references))
            try define("route", categoryText, record.line)
            seed.routingRules.append(rule)
        case "merchant":
            let merchant = Merchant(
                code: try fields.required("code"), name: try fields.required("name"),
                address: try fields.optional("address"))
            try define("merchant", merchant.code, record.line)
            seed.merchants.append(merchant)
        case "offer":
            let offer = Offer(
                code: try fields.required("code"),
                merchantCode: try fields.reference("merchant", kind: "merchant", into: &references),
                title: try fields.required("title"), points: try fields.integer("points", in: 1...1_000_000),
                valueFen: try fields.integer("value_fen", in: 1...100_000_000),
                stock: try fields.integer("stock", in: 0...1_000_000), validDays: try fields.integer("valid_days", in: 1...3650))
            try define("offer", offer.code, record.line)
            seed.offers.append(offer)
        case "task":
            let task = VolunteerTask(
                code: try fields.required("code"), title: try fields.required("title"),
                points: try fields.integer("points", in: 1...100_000), slots: try fields.integer("slots", in: 1...10_000),
                deadline: try fields.date("deadline"),
                buildingCode: try fields.optionalReference("building", kind: "building", into: &references),
                photoRequired: try fields.yesNo("photo"))
            try define("task", task.code, record.line)
            seed.tasks.append(task)
        case "login":
            let login = SeedLogin(personCode: try fields.reference("person", kind: "person", into: &references),
                                  password: try fields.required("password"))
            guard login.password.count >= 8 else { throw fields.error("password", "a password needs at least 8 characters") }
            try define("login", login.personCode, record.line)
            seed.logins.append(login)
        case "care":
            let care = CareRecord(
                code: try fields.required("code"),
                buildingCode: try fields.reference("building", kind: "building", into: &references),
                unit: try fields.optional("unit"), room: try fields.optional("room"),
                category: try fields.enumeration("category", CareCategory.self), name: try fields.required("name"),
                contact: try fields.optional("contact"), note: try fields.optional("note"),
                workerCode: try fields.optionalReference("worker", kind: "person", into: &references))
            try define("care", care.code, record.line)
            seed.care.append(care)
        default:
            throw SeedError(
                file: fileName, line: record.line, field: nil,
                message: "unknown record kind '\(record.kind)'; expected one of street, community, grid, building, household, department, person, bot, group, route, merchant, offer, task, login, care")
        }
        try fields.finish()
    }

    private mutating func readPerson(_ fields: inout FieldReader) throws(SeedError) -> Person {
        let role = try fields.enumeration("role", Role.self)
        var person = Person(code: try fields.required("code"), name: try fields.required("name"), role: role)
        person.phone = try fields.optional("phone")
        if let phone = person.phone, !PersonalData.isPhoneNumber(phone) {
            throw fields.error("phone", "'\(PersonalData.mask(phone))' is not an 11-digit mobile or a landline number")
        }
        person.gridCode = try fields.optionalReference("grid", kind: "grid", into: &references)
        person.buildingCode = try fields.optionalReference("building", kind: "building", into: &references)
        person.departmentCode = try fields.optionalReference("department", kind: "department", into: &references)
        person.householdCode = try fields.optionalReference("household", kind: "household", into: &references)
        person.merchantCode = try fields.optionalReference("merchant", kind: "merchant", into: &references)
        let needed: (String, String?)? = switch role {
        case .gridWorker, .gridHead: ("grid", person.gridCode)
        case .buildingHead: ("building", person.buildingCode)
        case .departmentStaff: ("department", person.departmentCode)
        case .resident: ("household", person.householdCode)
        case .merchant: ("merchant", person.merchantCode)
        case .communityAdmin: nil
        }
        if let (field, value) = needed, value == nil {
            throw fields.error(field, "a \(role.rawValue) needs a \(field)")
        }
        if let identities = try fields.optional("im") {
            for entry in identities.split(separator: ",") {
                let parts = entry.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let platform = ChatPlatform(rawValue: String(parts[0])), !parts[1].isEmpty else {
                    throw fields.error("im", "'\(entry)' is not platform:user_id (platforms: \(ChatPlatform.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                person.identities.append(ChatIdentity(platform: platform, userID: String(parts[1])))
            }
        }
        return person
    }

    private mutating func readGroup(_ fields: inout FieldReader) throws(SeedError) -> ChatGroup {
        let kind = try fields.enumeration("kind", ChatGroupKind.self)
        var group = ChatGroup(
            code: try fields.required("code"), name: try fields.required("name"),
            botCode: try fields.reference("bot", kind: "bot", into: &references),
            chatID: try fields.required("chat"), kind: kind)
        group.buildingCode = try fields.optionalReference("building", kind: "building", into: &references)
        group.gridCode = try fields.optionalReference("grid", kind: "grid", into: &references)
        group.departmentCode = try fields.optionalReference("department", kind: "department", into: &references)
        group.postURL = try fields.optional("post_url")
        let needed: (String, String?)? = switch kind {
        case .building: ("building", group.buildingCode)
        case .gridStaff: ("grid", group.gridCode)
        case .department: ("department", group.departmentCode)
        case .community: nil
        }
        if let (field, value) = needed, value == nil {
            throw fields.error(field, "a \(kind.rawValue) group needs a \(field)")
        }
        return group
    }

    private mutating func define(_ kind: String, _ code: String, _ line: Int) throws(SeedError) {
        if let earlier = definedAt[kind]?[code] {
            throw SeedError(file: fileName, line: line, field: "code", message: "\(kind) '\(code)' is already defined on line \(earlier)")
        }
        definedAt[kind, default: [:]][code] = line
    }
}

/// Reads the fields of one record, so that every unknown or leftover field is reported.
struct FieldReader {
    let record: SeedRecord
    let fileName: String
    private var unread: [String: String]

    init(record: SeedRecord, fileName: String) {
        self.record = record
        self.fileName = fileName
        self.unread = Dictionary(uniqueKeysWithValues: record.fields.map { ($0.key, $0.value) })
    }

    func error(_ field: String, _ message: String) -> SeedError {
        SeedError(file: fileName, line: record.line, field: field, message: message)
    }

    mutating func optional(_ key: String) throws(SeedError) -> String? {
        guard let value = unread.removeValue(forKey: key) else { return nil }
        if value.isEmpty { throw error(key, "the value is empty; leave the field out instead") }
        return value
    }

    mutating func required(_ key: String) throws(SeedError) -> String {
        guard let value = try optional(key) else { throw error(key, "a \(record.kind) needs this field") }
        return value
    }

    mutating func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(SeedError) -> Int? {
        guard unread[key] != nil else { return nil }
        return try integer(key, in: range)
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(SeedError) -> Int {
        let text = try required(key)
        guard let value = Int(text), range.contains(value) else {
            throw error(key, "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// An optional `yes` / `no` field; absent reads as no.
    mutating func yesNo(_ key: String) throws(SeedError) -> Bool {
        guard let text = try optional(key) else { return false }
        switch text {
        case "yes": return true
        case "no": return false
        default: throw error(key, "'\(text)' is not yes or no")
        }
    }

    mutating func date(_ key: String) throws(SeedError) -> String {
        let text = try required(key)
        guard CalendarDay(text) != nil else { throw error(key, "'\(text)' is not a date written YYYY-MM-DD") }
        return text
    }

    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(SeedError) -> E where E.RawValue == String {
        let text = try required(key)
        guard let value = E(rawValue: text) else {
            throw error(key, "'\(text)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    mutating func reference(_ key: String, kind: String, into references: inout [(kind: String, code: String, line: Int, field: String)]) throws(SeedError) -> String {
        let code = try required(key)
        references.append((kind, code, record.line, key))
        return code
    }

    mutating func optionalReference(_ key: String, kind: String, into references: inout [(kind: String, code: String, line: Int, field: String)]) throws(SeedError) -> String? {
        guard let code = try optional(key) else { return nil }
        references.append((kind, code, record.line, key))
        return code
    }

    /// Takes every field not yet read (for records with open-ended settings).
    mutating func remaining() -> [String: String] {
        defer { unread.removeAll() }
        return unread
    }

    func finish() throws(SeedError) {
        if let extra = record.fields.first(where: { unread[$0.key] != nil }) {
            throw error(extra.key, "a \(record.kind) has no such field")
        }
    }
}
