// Ed25519 (libsodium). Design lands with issue 3.
#pragma once
