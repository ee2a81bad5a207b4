#include "lease-store/lease_store.h"
