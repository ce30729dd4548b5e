"""Hostile and mistaken input, sessions, passwords, tokens, rate limits, data problems: Chinese then English."""

STRINGS: dict[str, tuple[str, str]] = {
    "bad_input": ("提交的内容无法接受：{detail}", "The input cannot be accepted: {detail}"),
    "input.nul": ("含有空字符（NUL）", "it contains a NUL character"),
    "input.too_long": ("某一项超过 {max} 个字符", "a value is longer than {max} characters"),
    "input.surrogate": ("含有无效的 Unicode 字符（孤立代理项）", "it contains invalid Unicode (a lone surrogate)"),
    "input.too_deep": ("JSON 嵌套超过 {max} 层", "the JSON is nested deeper than {max} levels"),
    "input.big_number": ("数字超出范围", "a number is out of range"),
    "input.not_finite": ("数字须为有限值（不接受 NaN、Infinity）", "numbers must be finite (no NaN or Infinity)"),
    "window.years": ("时间须在 {min} 年至 {max} 年之间", "times lie between the years {min} and {max}"),
    "date.years": ("日期须在 {min} 年至 {max} 年之间", "dates lie between the years {min} and {max}"),
    "csv.api_cell": ("单元格须为文字或数字（最多 {max} 个字符）", "cells are text or numbers (at most {max} characters)"),
    "csv.api_columns": ("表头需为 1–{max} 个非空列名", "the header needs 1–{max} non-empty column names"),
    "login_slowed": ("该账号登录尝试过于频繁，请 {seconds} 秒后再试", "Too many login attempts for this account; try again in {seconds} s"),
    "screens.clear_pending": ("清除全部待审批", "Clear all pending"),
    "screens.reject": ("拒绝", "Reject"),
    "flash.pending_cleared": ("已清除 {n} 台待审批屏幕", "{n} pending screen(s) cleared"),
    "rate_limited": ("请求过于频繁，请稍后再试", "Too many requests; try again later"),
}
