from flask import jsonify, render_template, request

MESSAGES = {
    400: "请求无效",
    403: "您没有权限访问此页面",
    404: "页面不存在",
    405: "不支持该请求方法",
    413: "上传的文件过大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后再试",
}


def wants_json():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json" or request.path.startswith("/api/")


def error_response(status, message):
    if wants_json():
        return jsonify({"status": status, "error": message}), status
    return render_template("home/error.html", status=status, message=message), status


def handle_http_error(exc):
    status = exc.code or 500
    message = MESSAGES.get(status) or exc.description or "请求失败"
    if status == 413:
        from flask import current_app

        limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = f"上传的文件过大：不能超过 {limit} MB"
    return error_response(status, message)


def handle_csrf_error(exc):
    if wants_json():
        # the session behind the page's token ended or was replaced: nothing the page sent is
        # wrong, it logs in again and sends it again
        return jsonify({"status": 400, "reason": "csrf", "error": "登录状态已失效，请重新登录后继续"}), 400
    return error_response(400, "页面已过期或表单校验失败，请刷新页面后重试")
