"""屏幕外观 (the unit's branding on its screens), Chinese then English."""

STRINGS: dict[str, tuple[str, str]] = {
    "nav.branding": ("屏幕外观", "Screen look"),
    "brand.title": ("屏幕外观", "How the screens look"),
    "brand.lead": ("本单位触摸查询机和信息发布屏顶部显示的名称、颜色和院徽。保存后随下一次推送到达各屏幕。",
                   "The name, colour and logo at the top of this unit's kiosks and signage screens. They reach "
                   "the screens with the next push after saving."),
    "brand.edit": ("设置", "Settings"),
    "brand.name": ("显示名称", "Display name"),
    "brand.name_hint": ("留空则显示单位名称。", "Leave empty to show the unit's name."),
    "brand.colour": ("主题颜色", "Colour"),
    "brand.colour_hint": ("十六进制颜色，如 #0d549e；白色文字在其上的对比度须不低于 {min}:1。留空则用默认蓝色。",
                          "A hex colour such as #0d549e; white text on it must reach a contrast of {min}:1. Leave "
                          "empty for the default blue."),
    "brand.logo": ("院徽", "Logo"),
    "brand.logo_hint": ("PNG、JPEG 或 WebP 图片，建议透明背景的白色或浅色院徽；过大的图片会缩小到 512 像素。",
                        "A PNG, JPEG or WebP image, ideally a white or light logo on a transparent background; "
                        "larger images are scaled down to 512 pixels."),
    "brand.remove_logo": ("不再显示院徽", "Remove the logo"),
    "brand.save": ("保存", "Save"),
    "brand.saved": ("屏幕外观已保存，将推送到本单位的屏幕。", "Saved; the screens of this unit will show it."),
    "brand.preview": ("屏幕顶部预览", "Header preview"),
    "brand_colour_format": ("颜色格式不正确，请填写如 #0d549e 的十六进制颜色", "Not a colour: give a hex colour such as #0d549e"),
    "brand_colour_contrast": ("颜色太浅：白色文字在其上的对比度只有 {ratio}:1，至少需要 {min}:1，请选深一些的颜色",
                              "Too light: white text on it reaches only {ratio}:1, at least {min}:1 is needed; "
                              "choose a darker colour"),
}
