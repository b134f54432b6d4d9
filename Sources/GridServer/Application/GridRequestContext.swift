import Hummingbird
import NIOCore

/// The request context of GridBot's routes: Hummingbird's basic context and the client's
/// address, which sign-in throttling counts failures by.
public struct GridRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected peer (nil in tests that call the router directly).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text, where known.
    var clientAddress: String? { remoteAddress?.ipAddress }
}
