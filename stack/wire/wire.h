// Umbrella header for //stack/wire. Prefer including the protocol header you use.
#pragma once

#include "stack/wire/arp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/dhcpv4.h"
#include "stack/wire/errors.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmpv4.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/ipv4_address.h"
#include "stack/wire/mac_address.h"
#include "stack/wire/options.h"
#include "stack/wire/pretty.h"
#include "stack/wire/result.h"
#include "stack/wire/seq.h"
#include "stack/wire/tcp.h"
#include "stack/wire/udp.h"
