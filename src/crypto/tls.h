// TLS 1.3 over a connected socket (OpenSSL), with the peer check delegated to the caller
// (RA-TLS verifies a quote instead of, or besides, a CA chain). Design lands with issue 3.
#pragma once
