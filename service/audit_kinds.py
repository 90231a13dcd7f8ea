"""What each kind of audit event and each object type means to a person, Chinese then
English: the one table the workbench's audit log reads (a kind missing here shows its
code)."""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "audit.checkpoint": ("签发检查点", "checkpoint signed"),
    "auth.denied": ("拒绝越权操作", "request denied"),
    "auth.failed": ("令牌验证失败", "token rejected"),
    "auth.login": ("令牌当日首次使用", "token's first use today"),
    "auth.throttled": ("验证失败过多被限流", "throttled after failures"),
    "data.import": ("导入人才库数据", "pool data imported"),
    "data.export": ("导出人才库数据", "pool data exported"),
    "data.id_numbers.read": ("查看完整身份证号", "full ID numbers read"),
    "data.cadre.update": ("修改干部信息", "cadre edited"),
    "data.unavailability.create": ("登记不能参加的时段", "unavailability recorded"),
    "data.tie.create": ("登记亲属关系", "kinship tie recorded"),
    "data.tie.delete": ("删除亲属关系", "kinship tie deleted"),
    "round.create": ("建立巡察轮次", "round created"),
    "draw.open": ("开启抽取仪式（封存规格）", "draw opened (specification sealed)"),
    "draw.consent": ("同意重新抽取", "redraw consented"),
    "draw.commit": ("提交承诺", "commitment made"),
    "draw.reveal": ("揭示秘密", "secret revealed"),
    "draw.public_value": ("记录公开随机值", "public value recorded"),
    "draw.seed": ("确定抽取种子", "seed fixed"),
    "draw.rerun": ("重新运行抽取", "draw run again"),
    "draw.expire": ("抽取仪式过期", "draw expired"),
    "draw.failed": ("抽取失败", "draw failed"),
    "draw.refused": ("拒绝抽取操作", "draw step refused"),
    "proposal.create": ("生成组队方案", "proposal made"),
    "proposal.change": ("人工调整方案", "proposal changed by hand"),
    "proposal.departure": ("记录离组并抽签替换", "departure recorded, replacement drawn by lot"),
    "proposal.approve": ("批准方案", "proposal approved"),
    "proposal.supersede": ("方案被新抽取取代", "proposal superseded"),
    "proposal.replay": ("复算方案", "proposal replayed"),
    "proposal.refused": ("拒绝方案操作", "proposal step refused"),
    "job.queued": ("任务排队", "job queued"),
    "job.succeeded": ("任务完成", "job succeeded"),
    "job.failed": ("任务失败", "job failed"),
    "job.cancelled": ("任务已取消", "job cancelled"),
    "job.cancel": ("请求取消任务", "job cancel requested"),
    "job.recovered": ("任务恢复", "job recovered"),
    "job.refused": ("拒绝任务操作", "job step refused"),
    "token.create": ("签发令牌", "token issued"),
    "token.revoke": ("吊销令牌", "token revoked"),
    "user.create": ("建立账户", "account created"),
    "user.disable": ("停用账户", "account disabled"),
    "user.reset-password": ("重设密码", "password reset"),
    "user.rehash": ("密码哈希升级", "password hash upgraded"),
    "web.signin": ("登录", "signed in"),
    "web.signin-failed": ("登录失败", "sign-in failed"),
    "web.locked": ("账户被锁定", "account locked"),
    "web.signout": ("退出登录", "signed out"),
    "web.session-expired": ("登录过期", "session expired"),
    "web.csrf-refused": ("拒绝无效表单", "form refused (CSRF)"),
}

# the groups a filter may pick as a whole (a kind prefix ending in ".")
GROUPS: dict[str, tuple[str, str]] = {
    "auth.": ("令牌与权限", "tokens and permissions"),
    "data.": ("人才库数据", "pool data"),
    "round.": ("巡察轮次", "rounds"),
    "draw.": ("抽取仪式", "draw ceremonies"),
    "proposal.": ("组队方案", "proposals"),
    "job.": ("任务", "jobs"),
    "token.": ("令牌管理", "token management"),
    "user.": ("账户管理", "accounts"),
    "web.": ("工作台登录", "workbench sign-in"),
    "audit.": ("审计检查点", "audit checkpoints"),
}

OBJECT_TYPES: dict[str, tuple[str, str]] = {
    "round": ("巡察轮次", "round"),
    "draw": ("抽取仪式", "draw"),
    "proposal": ("组队方案", "proposal"),
    "job": ("任务", "job"),
    "cadre": ("干部", "cadre"),
    "person": ("人员", "person"),
    "tie": ("亲属关系", "tie"),
    "unavailability": ("不能参加的时段", "unavailability"),
    "import": ("导入", "import"),
    "export": ("导出", "export"),
    "token": ("令牌", "token"),
    "user": ("账户", "account"),
    "request": ("请求", "request"),
    "checkpoint": ("检查点", "checkpoint"),
    "cli": ("命令", "command"),
}


def object_type_label(object_type: str | None) -> str:
    if object_type is None:
        return ""
    zh_en = OBJECT_TYPES.get(object_type)
    return object_type if zh_en is None else f"{zh_en[0]} {zh_en[1]}"
