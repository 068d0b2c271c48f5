"""同步 page: exchange encrypted packages with the city (or the towns) by USB stick.

Town: 导出到U盘 (the removable drives are listed; any folder works too), 导入市人大下发的数据, status,
and the keys: make them, export the enrolment file, print the fingerprint form, import the trust bundle.
City: 从U盘导入 with a report per package, 下发到U盘, the table of towns, the summary by town for a
period (window, PDF, .xlsx), and enrolment: check the fingerprint, enrol, re-enrol after a PC was
replaced, revoke.

Seams for tests: ``ask_open_file``, ``ask_save_file``, ``ask_folder``, ``open_file`` and ``confirm``;
modal dialogs go through ``ui.widgets.exec_modal``; the private key's passphrase (where one protects
it) is asked through ``ui.key_passphrase.ask_key_passphrase`` before a task that needs the key starts.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from congress_desktop.core.context import Context
from congress_desktop.core.errors import CongressError
from congress_desktop.sync import report as sync_report
from congress_desktop.sync import service as sync_service
from congress_desktop.sync import summary as city_summary
from congress_desktop.sync.keys import PassphraseNeeded
from congress_desktop.sync.stick import list_removable_drives
from ui import errors as ui_errors
from ui import key_passphrase, tasks, widgets
from ui.files import ask_folder, ask_open_file, ask_save_file, info, open_file
from ui.pages.sync_dialogs import (
    KeptDialog,
    QuarantineDialog,
    ReportDialog,
    fill,
    local_time,
    muted,
    receipt_lines,
)

log = logging.getLogger(__name__)

ENROL_FILTER = "登记文件 (*.cdenrol);;所有文件 (*)"
TRUST_FILTER = "信任包 (*.cdtrust);;所有文件 (*)"
PACKAGE_FILTER = "同步数据包 (*.cdsync *.cdrcpt);;所有文件 (*)"

KEYS_HELP = (
    "<b>密钥是怎么回事：</b>每个单位有自己的一对密钥。私钥只保存在本机（Windows 上由系统加密保护；"
    "Linux 上由系统钥匙环保护，没有钥匙环时用您设定的私钥口令保护），从不写到U盘上；数据包用它签名，并用对方的公钥加密，U盘丢了别人也看不到内容。"
    "<br><b>乡镇第一次使用：</b>①生成本单位密钥 ②导出登记文件，带到市人大（或随U盘送达）"
    "③打印密钥登记表、盖章，交市人大核对指纹（或电话逐组朗读）④导入市人大发回的信任包，导入前与市人大盖章的"
    "密钥登记表核对市人大的指纹。之后就可以导出数据包了。"
    "<br><b>更换电脑或重装系统：</b>在新电脑上点“重新生成密钥”，再导出登记文件交市人大“换机重新登记”，"
    "旧密钥随即作废；然后导入新的信任包。"
    "<br><b>电脑丢失或怀疑密钥泄露：</b>请市人大立即“吊销”该单位的密钥，吊销后用旧密钥签发的数据包一律拒收。"
)
CITY_KEYS_HELP = (
    "<b>登记乡镇：</b>打开乡镇交来的登记文件，程序显示该乡镇的密钥指纹（8 组数字）。请与乡镇盖章的密钥登记表"
    "逐组对照，或电话请对方逐组朗读；完全一致才登记。登记后点“导出信任包”，把信任包发给各乡镇导入。"
    "<br><b>换机重新登记：</b>乡镇更换电脑后会交来新的登记文件；核对新指纹后勾选“换机重新登记”，旧密钥自动吊销。"
    "<br><b>吊销：</b>乡镇电脑丢失或密钥可能泄露时，选中该乡镇点“吊销”，此后该密钥签发的数据包一律拒收。"
)


# ------------------------------------------------------------------ small helpers
# ------------------------------------------------------------------ dialogs
def key_form(name: str, code: str, key_id: str, fingerprint: str) -> QFormLayout:
    """Whose key, and its fingerprint large enough to read out group by group over the phone."""
    fp = QLabel(fingerprint)
    fp.setObjectName("fingerprint")
    f = QFont(fp.font())
    f.setPointSizeF(f.pointSizeF() * 1.8)
    f.setBold(True)
    fp.setFont(f)
    fp.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    form = QFormLayout()
    form.addRow("单位：", QLabel(f"{name}（{code}）"))
    form.addRow("密钥编号：", QLabel(key_id))
    form.addRow("密钥指纹：", fp)
    return form


class FingerprintCheckDialog(QDialog):
    """Check a key's fingerprint against the stamped form (or read out by phone) before it is taken;
    a second tick when it replaces a key taken before. Subclasses give the words."""

    ok_text = checked_text = replace_text = replace_error = warning = ""

    def __init__(self, title: str, name: str, code: str, key_id: str, fingerprint: str, *, replaces: bool,
                 note: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.replaces = replaces
        self.setWindowTitle(title)
        self.checked = QCheckBox(self.checked_text)
        self.replace = QCheckBox(self.replace_text)
        self.replace.setVisible(replaces)
        self.error = widgets.FieldError()
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(self.ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(key_form(name, code, key_id, fingerprint))
        if replaces and note:
            lay.addWidget(muted(note))
        lay.addWidget(self.checked)
        lay.addWidget(self.replace)
        lay.addWidget(muted(self.warning))
        lay.addWidget(self.error)
        lay.addWidget(buttons)

    def _accept(self) -> None:
        if not self.checked.isChecked():
            self.error.set_error("请先核对指纹并勾选确认")
            return
        if self.replaces and not self.replace.isChecked():
            self.error.set_error(self.replace_error)
            return
        self.accept()


class EnrolDialog(FingerprintCheckDialog):
    """The city checks a town's fingerprint against the stamped form (or by phone) and enrols it."""

    ok_text = "登记"
    checked_text = "我已对照盖章的密钥登记表（或电话逐组朗读）核对，8 组数字完全一致"
    replace_text = "换机重新登记：吊销该乡镇原来的密钥"
    replace_error = "该乡镇已登记另一把密钥：确属换机请勾选“换机重新登记”"
    warning = "任何一组数字不一致，都不要登记：文件可能被调换。请让对方重新导出登记文件。"

    def __init__(self, preview: sync_service.EnrolmentPreview, parent: QWidget | None = None):
        self.preview = preview
        note = (f"注意：该乡镇已登记另一把密钥（指纹 {preview.current.fingerprint}）。如果该乡镇确实更换了电脑"
                "或重新生成了密钥，请勾选“换机重新登记”。") if preview.replaces else ""
        super().__init__(f"登记乡镇：{preview.name}", preview.name, preview.code, preview.key_id,
                         preview.fingerprint, replaces=preview.replaces, note=note, parent=parent)


class TrustDialog(FingerprintCheckDialog):
    """A town checks the city's fingerprint before trusting a city key it does not know yet: a bundle
    swapped on the stick would otherwise send every later package to whoever made it."""

    ok_text = "信任并导入"
    checked_text = "我已对照市人大盖章的密钥登记表（或电话请市人大逐组朗读）核对，8 组数字完全一致"
    replace_text = "市人大确已更换密钥：替换原来的密钥"
    replace_error = "本单位已信任市人大的另一把密钥：确属市人大更换密钥，请勾选“替换原来的密钥”"
    warning = "任何一组数字不一致，都不要导入：信任包可能被调换，数据包会被别人读到。请向市人大重新索取信任包。"

    def __init__(self, preview: sync_service.TrustPreview, parent: QWidget | None = None):
        self.preview = preview
        note = (f"注意：本单位现在信任的是市人大的另一把密钥（指纹 {preview.current_fingerprint}）。"
                "只有市人大确实更换了密钥（换电脑、重新生成）才导入：导入后旧密钥作废。")
        super().__init__(f"导入信任包：{preview.city_name}", preview.city_name, preview.city_code, preview.key_id,
                         preview.fingerprint, replaces=bool(preview.current_fingerprint), note=note, parent=parent)


# ------------------------------------------------------------------ the page
class SyncPage(QWidget):
    def __init__(self, ctx: Context, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("syncPage")
        self.last_task: tasks.TaskHandle | None = None
        self.last_report: sync_service.ImportReport | None = None
        self.is_city = ctx.require_office().role == "city"

        # ---- the stick: drives listed, or any folder
        self.drive = QComboBox()
        self.drive.setObjectName("driveCombo")
        self.refresh_drives_button = QPushButton("刷新")
        self.refresh_drives_button.clicked.connect(self.refresh_drives)
        self.folder_button = QPushButton("选择文件夹…")
        self.folder_button.clicked.connect(self.choose_folder)
        drive_row = QHBoxLayout()
        drive_row.addWidget(QLabel("U盘或文件夹："))
        drive_row.addWidget(self.drive, 1)
        drive_row.addWidget(self.refresh_drives_button)
        drive_row.addWidget(self.folder_button)

        self.export_button = QPushButton("下发到U盘" if self.is_city else "导出到U盘")
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.export_packages)
        self.import_button = QPushButton("从U盘导入" if self.is_city else "导入市人大下发的数据")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.import_packages)
        self.import_file_button = QPushButton("导入单个数据包…")
        self.import_file_button.clicked.connect(self.import_file)
        actions = QHBoxLayout()
        if self.is_city:
            actions.addWidget(self.import_button)
            actions.addWidget(self.export_button)
        else:
            actions.addWidget(self.export_button)
            actions.addWidget(self.import_button)
        actions.addWidget(self.import_file_button)
        actions.addStretch(1)
        self.quarantine_button = QPushButton("核查隔离的记录…")
        self.quarantine_button.setObjectName("quarantineButton")
        self.quarantine_button.clicked.connect(self.review_quarantine)
        self.kept_button = QPushButton("查看对方保存的记录…")
        self.kept_button.setObjectName("keptButton")
        self.kept_button.clicked.connect(self.review_kept)
        self.status_label = QLabel()
        self.status_label.setObjectName("syncStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label = QLabel()
        self.result_label.setObjectName("syncResult")
        self.result_label.setWordWrap(True)
        stick_box = QWidget()  # the tab says 「U盘同步」: no framed title repeating it
        sl = QVBoxLayout(stick_box)
        sl.addLayout(drive_row)
        sl.addLayout(actions)
        sl.addWidget(self.result_label)
        sl.addWidget(widgets.hline())
        sl.addWidget(self.status_label)
        q_row = QHBoxLayout()
        q_row.addWidget(self.quarantine_button)
        q_row.addWidget(self.kept_button)
        q_row.addStretch(1)
        sl.addLayout(q_row)
        if self.is_city:
            sl.addWidget(muted("导入时逐个检查数据包的签名和内容，每个数据包整包导入或整包拒绝；导入前自动备份数据库。"
                               "每导入一个数据包，就在U盘上写一份回执，乡镇下次导出时读取。"))
        else:
            sl.addWidget(muted("导出的数据包包含市人大尚未确认收到的全部变更，已加密，只有市人大能打开。"
                               "U盘丢了也不会丢数据：下次导出会把这些变更再带一次。导出后请在系统中“安全弹出”U盘。"))
        sl.addStretch(1)

        # ---- keys
        self.keys_label = QLabel()
        self.keys_label.setObjectName("keysLabel")
        self.keys_label.setWordWrap(True)
        self.keys_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.init_keys_button = QPushButton("生成本单位密钥")
        self.init_keys_button.clicked.connect(self.init_keys)
        self.print_form_button = QPushButton("打印密钥登记表")
        self.print_form_button.clicked.connect(self.print_form)
        key_buttons = QHBoxLayout()
        key_buttons.addWidget(self.init_keys_button)
        if self.is_city:
            self.enrol_button = QPushButton("登记乡镇…")
            self.enrol_button.clicked.connect(self.enrol_town)
            self.revoke_button = QPushButton("吊销…")
            self.revoke_button.clicked.connect(self.revoke_town)
            self.trust_button = QPushButton("导出信任包…")
            self.trust_button.clicked.connect(self.export_trust)
            for b in (self.enrol_button, self.revoke_button, self.trust_button):
                key_buttons.addWidget(b)
        else:
            self.enrolment_button = QPushButton("导出登记文件…")
            self.enrolment_button.clicked.connect(self.export_enrolment)
            self.trust_button = QPushButton("导入信任包…")
            self.trust_button.clicked.connect(self.import_trust)
            key_buttons.addWidget(self.enrolment_button)
            key_buttons.addWidget(self.trust_button)
        key_buttons.addWidget(self.print_form_button)
        key_buttons.addStretch(1)
        self.peers_table = widgets.list_table(["区划代码", "单位", "状态", "密钥指纹", "登记时间"])
        keys_box = QWidget()
        kl = QVBoxLayout(keys_box)
        kl.addWidget(self.keys_label)
        kl.addLayout(key_buttons)
        kl.addWidget(QLabel("已登记的乡镇：" if self.is_city else "信任的市人大："))
        kl.addWidget(self.peers_table, 1)
        kl.addWidget(muted(CITY_KEYS_HELP if self.is_city else KEYS_HELP))

        self.tabs = QTabWidget()
        self.tabs.addTab(stick_box, "U盘同步")
        if self.is_city:
            self.tabs.addTab(self._towns_tab(), "乡镇一览")
            self.tabs.addTab(self._summary_tab(), "分乡镇汇总")
        self.tabs.addTab(keys_box, "密钥与登记")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)
        self.refresh_drives()
        self.refresh()

    # ------------------------------------------------------------------ city tabs
    def _towns_tab(self) -> QWidget:
        w = QWidget()
        self.quiet_days = QSpinBox()
        self.quiet_days.setRange(1, 3650)
        self.quiet_days.setValue(sync_service.QUIET_DAYS)
        self.quiet_days.setSuffix(" 天")
        self.quiet_days.valueChanged.connect(self.refresh_towns)
        self.towns_table = widgets.list_table(["区划代码", "乡镇（街道）", "登记状态", "最近数据包", "记录数",
                                               "已收到变更", "缺口", "未报天数", "待确认下发", "冲突待查"])
        self.towns_table.setObjectName("townsTable")
        row = QHBoxLayout()
        row.addWidget(QLabel("超过"))
        row.addWidget(self.quiet_days)
        row.addWidget(QLabel("未收到数据包的乡镇标为“长时间未报”"))
        row.addStretch(1)
        lay = QVBoxLayout(w)
        lay.addLayout(row)
        lay.addWidget(self.towns_table, 1)
        lay.addWidget(muted("各乡镇的记录在“代表”等页面中可按单位筛选查看，只能查看，不能修改（由乡镇自己维护）。"
                            "“缺口”表示数据包的变更编号不连续（例如市里恢复了旧备份），回执会请乡镇重发。"))
        return w

    def _summary_tab(self) -> QWidget:
        w = QWidget()
        today = QDate.currentDate()
        self.date_from = QDateEdit(QDate(today.year(), 1, 1))
        self.date_to = QDateEdit(today)
        for e in (self.date_from, self.date_to):
            e.setDisplayFormat("yyyy-MM-dd")
            e.setCalendarPopup(True)
        self.summary_button = QPushButton("汇总")
        self.summary_button.clicked.connect(self.refresh_summary)
        self.summary_pdf_button = QPushButton("打印 PDF")
        self.summary_pdf_button.clicked.connect(self.print_summary)
        self.summary_xlsx_button = QPushButton("导出 Excel…")
        self.summary_xlsx_button.clicked.connect(self.export_summary)
        row = QHBoxLayout()
        row.addWidget(QLabel("统计期间"))
        row.addWidget(self.date_from)
        row.addWidget(QLabel("至"))
        row.addWidget(self.date_to)
        for b in (self.summary_button, self.summary_pdf_button, self.summary_xlsx_button):
            row.addWidget(b)
        row.addStretch(1)
        self.summary_table = widgets.list_table([h for _, h in city_summary.COLUMNS])
        self.summary_table.setObjectName("summaryTable")
        self.summary_note = muted("")
        lay = QVBoxLayout(w)
        lay.addLayout(row)
        lay.addWidget(self.summary_table, 1)
        lay.addWidget(self.summary_note)
        return w

    # ------------------------------------------------------------------ hooks for the main window
    def initial_focus(self) -> QWidget:
        return self.import_button if self.is_city else self.export_button

    def on_activated(self) -> None:
        self.refresh_drives()
        self.refresh()

    def refresh(self) -> None:
        keys = sync_service.own_keys(self.ctx)
        if keys is None:
            self.keys_label.setText("本单位还没有同步密钥。请先点“生成本单位密钥”。")
            self.init_keys_button.setText("生成本单位密钥")
        else:
            self.keys_label.setText(f"本单位密钥编号 {keys.key_id}，生成于 {local_time(keys.created_at)}\n"
                                    f"密钥指纹：{keys.fingerprint}\n私钥保护方式：{keys.protection}")
            self.init_keys_button.setText("重新生成密钥…")
        fill(self.peers_table, [[p.code, p.name, p.status_label, p.fingerprint, local_time(p.enrolled_at)]
                                for p in sync_service.list_peers(self.ctx)])
        st = sync_service.sync_status(self.ctx)
        lines = []
        if keys is None:
            lines.append("第一步：到“密钥与登记”生成本单位密钥。")
        elif not st.peers:
            lines.append("还没有可以交换数据的单位：" + ("请登记乡镇（“密钥与登记”）。" if self.is_city else
                                                 "请把登记文件交市人大登记，再导入市人大的信任包（“密钥与登记”）。"))
        for p in st.peers:
            if self.is_city:
                continue
            lines.append(f"上次导出：{local_time(p.last_export_at)}")
            lines.append(f"市人大已确认收到：第 {p.confirmed_seq} 号之前的全部变更（最近回执 {local_time(p.last_receipt_at)}）")
            lines.append(f"等待上报：{p.waiting_records} 条记录" if p.waiting_records else "等待上报：无，全部已确认")
        if self.is_city and st.peers:
            lines.append(f"已登记乡镇 {len(st.peers)} 个。")
        if st.epoch is not None and not st.epoch.root:
            lines.append(f"本机数据于 {local_time(st.epoch.started_at)} {st.epoch.reason_label}：此后的变更重新编号，"
                         "下次导出会把全部记录再发一遍，对方逐条核对，不会重复。")
        if st.kept_there:
            lines.append(f"对方还保存着本单位 {st.kept_there} 条本机已没有（或比本机新）的记录，多半是恢复备份时丢失的："
                         "点“查看对方保存的记录”对照，需要的请重新录入。")
        if st.kept_here:
            lines.append(f"本机替其他单位保存着 {st.kept_here} 条对方恢复备份后已没有的记录。")
        if st.open_quarantine:
            lines.append(f"有 {st.open_quarantine} 条收到的记录因版本冲突或内容无法识别被隔离，待核查（点“核查隔离的记录”）。")
        self.quarantine_button.setVisible(bool(st.open_quarantine))
        self.kept_button.setVisible(bool(st.kept_there or st.kept_here))
        self.status_label.setText("\n".join(lines))
        if self.is_city:
            self.refresh_towns()

    def review_kept(self) -> None:
        widgets.exec_modal(KeptDialog(self.ctx, self))

    def review_quarantine(self) -> None:
        widgets.exec_modal(QuarantineDialog(self.ctx, self))
        self.refresh()

    def refresh_towns(self) -> None:
        rows = sync_service.list_towns(self.ctx, quiet_days=self.quiet_days.value())
        fill(self.towns_table, [[t.code, t.name, t.status, local_time(t.last_package_at), str(t.records), str(t.last_seq),
                                 t.gaps or "无", (f"{t.days_silent} 天" + ("（长时间未报）" if t.silent else ""))
                                 if t.days_silent is not None else "", str(t.down_waiting), str(t.quarantined)]
                                for t in rows])

    # ------------------------------------------------------------------ the stick
    def refresh_drives(self) -> None:
        current = self.drive.currentData()
        self.drive.clear()
        for d in list_removable_drives():
            self.drive.addItem(d.title, d.path)
        if current and self.drive.findData(current) < 0:
            self.drive.addItem(current, current)
        if self.drive.count() == 0:
            self.drive.addItem("（没有找到U盘：请插入U盘后点“刷新”，或选择文件夹）", "")
        idx = self.drive.findData(current) if current else -1
        self.drive.setCurrentIndex(max(idx, 0))

    def choose_folder(self) -> None:
        path = ask_folder(self, "选择U盘或文件夹")
        if path:
            if self.drive.findData(path) < 0:
                self.drive.addItem(path, path)
            self.drive.setCurrentIndex(self.drive.findData(path))

    def target(self) -> str | None:
        path = self.drive.currentData()
        if not path:
            info(self, "请选择U盘", "没有找到U盘。请插入U盘后点“刷新”，或点“选择文件夹…”。")
            return None
        return path

    def export_packages(self) -> tasks.TaskHandle | None:
        target = self.target()
        if target is None or not key_passphrase.ensure_private_key(self, self.ctx):
            return None
        ctx = self.ctx

        def work(progress, cancel):
            return sync_service.export_packages(ctx, target, progress=progress, cancel=cancel)

        self.last_task = tasks.run_task(self, "正在导出数据包", work, on_success=self._exported,
                                        on_error=self._failed)
        return self.last_task

    def _exported(self, result: sync_service.ExportResult) -> None:
        lines = receipt_lines(result.receipts)
        for p in result.packages:
            lines.append(f"给 {p.recipient_name}：{p.records} 条记录（第 {p.seq_from}–{p.seq_to} 号变更）")
        lines.append(f"已写入并校验：{result.folder}")
        lines.append("请在系统托盘中“安全弹出”U盘后再拔下。")
        text = "\n".join(lines)
        self.result_label.setText(text)
        self.refresh()
        widgets.show_status(self, "数据包已导出")
        info(self, "导出完成", text)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, CongressError):
            self.result_label.setText(exc.message)
        ui_errors.show_error(self, exc)
        self.refresh()

    def import_packages(self) -> tasks.TaskHandle | None:
        target = self.target()
        return self._import(target) if target else None

    def import_file(self) -> tasks.TaskHandle | None:
        path = ask_open_file(self, "选择数据包或回执", PACKAGE_FILTER)
        return self._import(path) if path else None

    def _import(self, source: str) -> tasks.TaskHandle | None:
        if not key_passphrase.ensure_private_key(self, self.ctx):
            return None
        ctx = self.ctx

        def work(progress, cancel):
            return sync_service.import_from(ctx, source, progress=progress, cancel=cancel)

        self.last_task = tasks.run_task(self, "正在导入数据包", work, on_success=self._imported, on_error=self._failed)
        return self.last_task

    def _imported(self, report: sync_service.ImportReport) -> None:
        self.last_report = report
        applied = sum(1 for p in report.packages if p.status == "applied")
        refused = sum(1 for p in report.packages if p.status == "refused")
        if not report.packages:
            text = "没有找到发给本单位的数据包。" + ("（读取了回执）" if report.receipts else "")
        else:
            text = f"导入 {applied} 个数据包，拒绝 {refused} 个。"
        self.result_label.setText(text)
        self.refresh()
        widgets.show_status(self, text)
        if report.packages:
            widgets.exec_modal(ReportDialog(report, self))
        else:
            info(self, "导入", text)

    # ------------------------------------------------------------------ keys
    def init_keys(self) -> None:
        replace = sync_service.own_keys(self.ctx) is not None
        if replace and not widgets.ask_yes_no(
                self, "重新生成密钥",
                "重新生成密钥后，原来的密钥作废，必须把新的登记文件交" + ("各乡镇（信任包）" if self.is_city else "市人大")
                + "重新登记，否则对方会拒收数据包。\n\n只在更换电脑、重装系统或密钥可能泄露时这样做。确定重新生成吗？"):
            return
        go, passphrase = key_passphrase.passphrase_for_new_key(self)
        if not go:
            return
        try:
            try:
                k = sync_service.init_keys(self.ctx, replace=replace, passphrase=passphrase)
            except PassphraseNeeded as e:  # Windows data protection refused: a passphrase instead
                go, passphrase = key_passphrase.passphrase_for_new_key(self, e.mode)
                if not go:
                    return
                k = sync_service.init_keys(self.ctx, replace=replace, passphrase=passphrase)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        info(self, "已生成密钥", f"密钥指纹：{k.fingerprint}\n\n"
             + ("下一步：导出登记文件交市人大，并打印密钥登记表盖章。" if not self.is_city else
                "下一步：登记各乡镇，然后导出信任包发给各乡镇。"))

    def export_enrolment(self) -> None:
        office = self.ctx.require_office()
        suggested = str(Path.home() / f"{office.name}-登记文件{sync_service.ENROLMENT_SUFFIX}")
        path = ask_save_file(self, "导出登记文件", suggested, ENROL_FILTER)
        if not path or not key_passphrase.ensure_private_key(self, self.ctx):
            return
        try:
            k = sync_service.export_enrolment(self.ctx, path)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        info(self, "已导出登记文件", f"已保存到：\n{path}\n\n请交市人大登记，并核对指纹：\n{k.fingerprint}")

    def import_trust(self) -> None:
        path = ask_open_file(self, "导入市人大信任包", TRUST_FILTER)
        if not path:
            return
        try:
            preview = sync_service.read_trust_bundle(self.ctx, path)
            fingerprint, replace = "", False
            if not preview.known:  # a city key new to this town: its fingerprint is checked first
                dlg = TrustDialog(preview, self)
                if widgets.exec_modal(dlg) != QDialog.DialogCode.Accepted:
                    return
                fingerprint, replace = preview.fingerprint, dlg.replace.isChecked()
            r = sync_service.import_trust_bundle(self.ctx, path, fingerprint=fingerprint, replace=replace)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        text = f"已信任：{r.city_name}\n市人大密钥指纹：{r.fingerprint}"
        if r.replaced:
            text += "\n\n市人大原来的密钥已作废，下次导出会把尚未确认的变更全部重新带上。"
        if not r.me_enrolled:
            text += "\n\n注意：信任包中还没有本镇当前的密钥。请确认市人大已登记本镇的登记文件，否则数据包会被拒收。"
        info(self, "已导入信任包", text)

    def print_form(self) -> tasks.TaskHandle | None:
        out = self.ctx.data_dir / "打印" / f"密钥登记表-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"
        out.parent.mkdir(parents=True, exist_ok=True)
        enrolment = None
        if self.is_city and widgets.ask_yes_no(self, "打印密钥登记表", "打印某个乡镇登记文件的指纹（选“是”），"
                                                                       "还是本单位（市人大）的（选“否”）？"):
            enrolment = ask_open_file(self, "选择乡镇的登记文件", ENROL_FILTER)
            if not enrolment:
                return None
        ctx = self.ctx

        def work(_progress, _cancel) -> int:
            return sync_report.print_fingerprint_form(ctx, out, enrolment=enrolment)

        self.last_task = tasks.run_task(self, "正在生成密钥登记表", work, on_success=lambda _n: self._opened(out))
        return self.last_task

    def _opened(self, out: Path) -> None:
        widgets.show_status(self, f"已生成 {out.name}")
        if not open_file(out):
            info(self, "已生成 PDF", f"文件已保存到：\n{out}")

    def enrol_town(self) -> None:
        path = ask_open_file(self, "打开乡镇的登记文件", ENROL_FILTER)
        if not path:
            return
        try:
            preview = sync_service.read_enrolment(self.ctx, path)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        if preview.already:
            info(self, "已登记", f"“{preview.name}”的这把密钥已经登记过了。")
            return
        dialog = EnrolDialog(preview, self)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        try:
            p = sync_service.enrol_office(self.ctx, path, fingerprint=preview.fingerprint,
                                          replace=dialog.replace.isChecked())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        info(self, "已登记", f"已登记 {p.name}。\n\n请点“导出信任包…”，把信任包发给各乡镇导入。")

    def selected_peer_code(self) -> str | None:
        rows = self.peers_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.peers_table.item(rows[0].row(), 0)
        return item.text() if item else None

    def revoke_town(self) -> None:
        code = self.selected_peer_code()
        if not code:
            info(self, "吊销", "请先在下面的列表中选中要吊销的乡镇。")
            return
        dialog = QDialog(self)
        dialog.setWindowTitle("吊销乡镇密钥")
        reason = QLineEdit("电脑丢失")
        form = QFormLayout(dialog)
        form.addRow(QLabel(f"吊销后，区划代码 {code} 的这把密钥签发的数据包一律拒收。该乡镇须重新生成密钥、重新登记。"))
        form.addRow("吊销原因", reason)
        buttons = QDialogButtonBox()
        buttons.addButton("吊销", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        dialog.reason = reason  # type: ignore[attr-defined]  (tests read it)
        if widgets.exec_modal(dialog) != QDialog.DialogCode.Accepted:
            return
        try:
            p = sync_service.revoke_office(self.ctx, code, reason.text())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        self.refresh()
        widgets.show_status(self, f"已吊销 {p.name} 的密钥")

    def export_trust(self) -> None:
        suggested = str(Path.home() / f"市人大信任包-{dt.date.today():%Y%m%d}{sync_service.TRUST_SUFFIX}")
        path = ask_save_file(self, "导出信任包", suggested, TRUST_FILTER)
        if not path or not key_passphrase.ensure_private_key(self, self.ctx):
            return
        try:
            k = sync_service.export_trust_bundle(self.ctx, path)
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        info(self, "已导出信任包", f"已保存到：\n{path}\n\n发给各乡镇导入。市人大密钥指纹：{k.fingerprint}")

    # ------------------------------------------------------------------ summary
    def period(self) -> tuple[str, str]:
        return (self.date_from.date().toString("yyyy-MM-dd"), self.date_to.date().toString("yyyy-MM-dd"))

    def refresh_summary(self) -> None:
        try:
            s = city_summary.city_summary(self.ctx, *self.period())
        except CongressError as e:
            ui_errors.show_error(self, e)
            return
        fill(self.summary_table, s.rows())
        note = f"统计期间：{s.period_label}，共 {len(s.towns)} 个单位。"
        if s.missing_areas:
            note += "本程序暂未包含：" + "、".join(s.missing_areas) + "（显示“—”）。"
        self.summary_note.setText(note)

    def print_summary(self) -> tasks.TaskHandle:
        out = self.ctx.data_dir / "打印" / f"分乡镇汇总-{dt.datetime.now():%Y%m%d-%H%M%S}.pdf"
        out.parent.mkdir(parents=True, exist_ok=True)
        ctx, (a, b) = self.ctx, self.period()

        def work(progress, cancel) -> int:
            return sync_report.print_city_summary(ctx, out, a, b, progress, cancel)

        self.last_task = tasks.run_task(self, "正在生成汇总表", work, on_success=lambda _n: self._opened(out))
        return self.last_task

    def export_summary(self) -> tasks.TaskHandle | None:
        a, b = self.period()
        suggested = str(Path.home() / f"分乡镇汇总-{a}至{b}.xlsx")
        path = ask_save_file(self, "导出汇总表", suggested, "Excel 表格 (*.xlsx)")
        if not path:
            return None
        target = path if path.lower().endswith(".xlsx") else path + ".xlsx"
        ctx = self.ctx

        def work(_progress, _cancel) -> int:
            return city_summary.export_city_summary(ctx, target, a, b)

        def done(n: int) -> None:
            widgets.show_status(self, f"已导出 {n} 个单位的汇总")
            info(self, "导出完成", f"已导出到：\n{target}")

        self.last_task = tasks.run_task(self, "正在导出汇总表", work, on_success=done)
        return self.last_task
