/* STUB: replaced by the loader. */
#include "core/px.h"
#include "loader.h"
int px_loader_run(const px_launch *l) { px_log("picolx: loader not implemented"); return 126; }
