"""Texts of the in-browser sealing page (zh, en); the ``seal.js.*`` ones are handed to seal.js."""

from __future__ import annotations

from core.i18n import register_messages

PAGE: dict[str, tuple[str, str]] = {
    "seal.title": ("在线制作并密封投标文件", "Prepare and seal a bid online"),
    "seal.link": ("在线制作并密封投标文件", "Prepare and seal online"),
    "seal.intro": (
        "投标文件在本浏览器内打包、加密（age v1，加密给你单位的身份密钥和本项目的开标公钥）并签名，"
        "与命令行工具 sunbid bid seal 生成的完全相同。"
        "身份密钥、明文和附件都不会离开本页面，服务器只收到密文和签名清单。",
        "The bid is packaged, encrypted (age v1, to your company's identity and this tender's opening key) "
        "and signed in this browser, exactly as `sunbid bid seal` does. Your identity, the plaintext and "
        "the attachments never leave this page: the server receives only ciphertext and the signed manifest.",
    ),
    "seal.lot": ("标段", "Lot"),
    "seal.deadline": ("投标截止时间（北京时间）", "Bid deadline (Beijing time)"),
    "seal.not_registered": (
        "你单位尚未报名本项目，报名后才能投标。",
        "Your company has not registered for this tender; register first.",
    ),
    "seal.closed": ("本项目当前不接受投标。", "This tender is not accepting bids now."),
    "seal.step.identity": ("第一步：身份密钥", "Step 1: your identity"),
    "seal.identity.file": (
        "身份密钥文件（sunbid keygen 生成）",
        "Identity file (made by `sunbid keygen`)",
    ),
    "seal.identity.passphrase": ("口令（如密钥文件受口令保护）", "Passphrase (if the file is protected)"),
    "seal.identity.load": ("读取身份密钥", "Load identity"),
    "seal.identity.or": ("还没有身份密钥？", "No identity yet?"),
    "seal.identity.generate": ("在本页生成新的身份密钥", "Generate a new identity here"),
    "seal.identity.warning": (
        "请务必下载并妥善保管身份密钥文件：开标时需要用它解密你的投标文件。"
        "丢失后只能依靠开标密钥保管人解密；若本项目没有保管人，投标将无法解密。",
        "Download the identity file and keep it safe: you need it to decrypt your bid at the opening. "
        "If you lose it, only the tender's key custodians can open the bid; without custodians, it cannot "
        "be opened at all.",
    ),
    "seal.identity.new_passphrase": (
        "为新密钥文件设置口令（可选，建议设置）",
        "Passphrase for the new identity file (optional, recommended)",
    ),
    "seal.identity.download": ("下载身份密钥文件", "Download the identity file"),
    "seal.step.form": ("第二步：投标函", "Step 2: the bid form"),
    "seal.form.required": ("必填", "required"),
    "seal.step.attachments": ("第三步：附件", "Step 3: attachments"),
    "seal.attachments.help": (
        "技术标、商务标等附件，打包在投标文件的 attachments/ 目录中。",
        "Technical and commercial documents; they go under attachments/ in the bid package.",
    ),
    "seal.step.seal": ("第四步：密封并提交", "Step 4: seal and submit"),
    "seal.supersedes": ("替换我单位在本标段的有效投标", "Replace my company's active bid on this lot"),
    "seal.submit": ("密封并提交投标", "Seal and submit the bid"),
    "seal.sealing": ("加密进度", "Sealing"),
    "seal.uploading": ("上传进度", "Upload"),
    "seal.receipt": ("回执", "Receipt"),
    "seal.receipt.download": ("下载回执", "Download the receipt"),
    "seal.manifest.download": ("下载签名清单", "Download the signed manifest"),
    "seal.envelope.download": ("下载加密投标文件", "Download the sealed bid"),
    "seal.key.title": ("投标签名公钥", "Bid-signing key"),
    "seal.key.register": ("登记为本单位签名公钥", "Register it as my company's signing key"),
}

# What seal.js shows; handed to the page as JSON (keys without the "seal.js." prefix).
SCRIPT: dict[str, tuple[str, str]] = {
    "seal.js.identity_loaded": ("已读取身份密钥，接收方：", "Identity loaded; recipient: "),
    "seal.js.identity_none": (
        "文件中没有身份密钥（AGE-SECRET-KEY-1…）",
        "No identity (AGE-SECRET-KEY-1…) in the file",
    ),
    "seal.js.identity_many": (
        "文件中有多个身份密钥，请只保留一个",
        "The file holds more than one identity; keep only one",
    ),
    "seal.js.identity_passphrase": (
        "无法打开身份密钥文件：口令错误或文件已损坏",
        "Cannot open the identity file: wrong passphrase or damaged file",
    ),
    "seal.js.identity_needed": ("请先读取或生成身份密钥", "Load or generate your identity first"),
    "seal.js.identity_unsaved": (
        "请先下载新生成的身份密钥文件",
        "Download the new identity file first",
    ),
    "seal.js.key_ok": ("与本单位已登记的签名公钥一致", "Matches your company's registered signing key"),
    "seal.js.key_none": (
        "本单位尚未登记签名公钥；提交前请登记此公钥",
        "Your company has no signing key yet; register this one before submitting",
    ),
    "seal.js.key_other": (
        "与本单位已登记的签名公钥不同：请换用对应的身份密钥，或登记此公钥（此后旧密钥签名的清单不再被接受）",
        "Differs from your company's registered signing key: use the matching identity, or register this "
        "key (manifests signed with the old key are then no longer accepted)",
    ),
    "seal.js.key_registered": ("签名公钥已登记", "Signing key registered"),
    "seal.js.field_required": ("此项必填", "This field is required"),
    "seal.js.field_decimal": (
        "请填写数字，如 1234.50（最多 {places} 位小数）",
        "Enter a number such as 1234.50 (at most {places} decimal places)",
    ),
    "seal.js.field_integer": ("请填写整数", "Enter a whole number"),
    "seal.js.field_min": ("不得低于 {min}", "At least {min}"),
    "seal.js.field_max": ("不得高于 {max}", "At most {max}"),
    "seal.js.field_too_long": ("最多 {n} 个字", "At most {n} characters"),
    "seal.js.form_invalid": ("投标函有误，请按提示修改", "The bid form has errors; see the fields"),
    "seal.js.duplicate_name": ("两个附件同名：", "Two attachments have the same name: "),
    "seal.js.too_large": (
        "投标文件超过本项目上限 {mib} MiB",
        "The sealed bid exceeds this tender's limit of {mib} MiB",
    ),
    "seal.js.sealing": ("正在打包并加密…", "Packaging and encrypting…"),
    "seal.js.uploading": ("正在上传…", "Uploading…"),
    "seal.js.accepted": ("投标已受理，回执已签名", "Bid accepted; receipt signed"),
    "seal.js.audit": ("审计序号", "audit entry"),
    "seal.js.server_time": ("服务器受理时间（北京时间）", "Accepted at (Beijing time)"),
    "seal.js.submission": ("投标编号", "Submission"),
    "seal.js.envelope": ("密文", "Envelope"),
    "seal.js.network": (
        "网络中断，可以安全地重试（同一投标编号不会重复提交）",
        "Network failure; retrying is safe (the same submission id is never stored twice)",
    ),
    "seal.js.retry": ("重试上传", "Retry the upload"),
    "seal.js.failed": ("提交失败：", "Not accepted: "),
    "seal.js.bytes": ("字节", "bytes"),
}

JS_KEYS = tuple(SCRIPT)
register_messages({**PAGE, **SCRIPT})
