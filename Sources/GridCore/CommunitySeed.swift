/// A whole community as written in a seed file: structure, people, chats, routing, merchants, tasks.
///
/// The seed format is line-based so that a community operator can edit it in any text editor and
/// an error can name the line at fault:
///
/// ```
/// # a comment
/// building code=3 name=3号楼 grid=G01 units=2 floors=6
/// person   code=W01 name="李 娜" role=grid_worker grid=G01 phone=13900000001 im=generic:li.na
/// ```
///
/// Each line is a record kind followed by `key=value` fields; a value with spaces is written in
/// double quotes. `seeds/README.md` documents every kind and field.
public struct CommunitySeed: Sendable, Equatable {
    public var streets: [Street] = []
    public var communities: [Community] = []
    public var grids: [Grid] = []
    public var buildings: [Building] = []
    public var households: [Household] = []
    public var departments: [Department] = []
    public var people: [Person] = []
    public var bots: [Bot] = []
    public var chatGroups: [ChatGroup] = []
    public var routingRules: [RoutingRule] = []
    public var merchants: [Merchant] = []
    public var offers: [Offer] = []
    public var tasks: [VolunteerTask] = []
    /// Sign-in passwords for the demo (`login person=MA1 password=…`); hashed when loaded.
    public var logins: [SeedLogin] = []
    /// The care register's households (`care code=… building=… category=elderly_alone name=…`).
    public var care: [CareRecord] = []

    public init() {}

    /// Parses and validates a seed file; nothing is returned unless the whole file is valid.
    ///
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - fileName: The name used in error messages.
    public static func parse(_ text: String, fileName: String) throws(SeedError) -> CommunitySeed {
        var parser = SeedParser(fileName: fileName)
        return try parser.parse(text)
    }
}

/// What is wrong with a seed file, and where.
public struct SeedError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The field at fault, or `nil` when the line as a whole is.
    public var field: String?
    public var message: String

    public init(file: String, line: Int, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field {
            return "\(file):\(line): field '\(field)': \(message)"
        }
        return "\(file):\(line): \(message)"
    }
}

/// A demo sign-in: a person and the password they sign in with. A real community sets passwords
/// with `gridbot accounts password`, never in a seed file.
public struct SeedLogin: Sendable, Hashable {
    public var personCode: String
    public var password: String

    public init(personCode: String, password: String) {
        self.personCode = personCode
        self.password = password
    }
}
