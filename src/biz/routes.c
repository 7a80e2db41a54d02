/* The only file that lists every business module. */
#include "biz/routes.h"

#include "app.h"
#include "biz/admin/admin.h"
#include "biz/auth/auth.h"
#include "biz/callback/callback.h"
#include "biz/censor/censor.h"
#include "biz/console/console.h"
#include "biz/gift/gift.h"
#include "biz/item/item.h"
#include "biz/live/live.h"
#include "biz/like/like.h"
#include "biz/mic/mic.h"
#include "biz/monitor/monitor.h"
#include "biz/platform/platform.h"
#include "biz/relay/relay.h"
#include "biz/stats/stats.h"
#include "biz/user/user.h"

void biz_register_all(struct app *a)
{
    platform_module_register(a);
    admin_module_register(a);
    user_module_register(a);
    auth_module_register(a);
    /* live before the modules that listen to its rooms (censor, relay, item) */
    live_module_register(a);
    censor_module_register(a);
    callback_module_register(a);
    like_module_register(a);
    stats_module_register(a);
    mic_module_register(a);
    relay_module_register(a);
    gift_module_register(a);
    item_module_register(a);
    monitor_module_register(a);
    console_module_register(a);
}
