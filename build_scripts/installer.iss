; Inno Setup 6 script: the Windows installer of 乡镇人大工作台 (congress-desktop).
;
; Build the program first (build_scripts\README.md, steps 1-3), then compile this script with Inno
; Setup 6.3 or newer:   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" build_scripts\installer.iss
; Output: dist\installer\congress-desktop-setup-<version>.exe
;
; - Installs per machine into C:\Program Files\乡镇人大工作台 (needs administrator rights once).
; - Start-menu and desktop shortcuts named 乡镇人大工作台.
; - The Chinese (Simplified) wizard needs ChineseSimplified.isl beside this script: it is an
;   unofficial translation, shipped separately from Inno Setup 6 (see build_scripts\README.md).
; - Uninstalling removes the program files only. The data (database, backups, logs) lives in each
;   user's %LOCALAPPDATA%\congress-desktop and is never touched; the uninstaller says so.
; - Upgrading: run the newer installer over the old one; the data folder is kept and the program
;   migrates the database at its next start, after a backup.
;
; This file is UTF-8 with a byte-order mark: Inno Setup 6 reads it as Unicode only with the BOM.

#define AppName "乡镇人大工作台"
#define AppExe "congress-desktop.exe"
#define AppPublisher "乡镇人大工作台项目组"
; Never change the AppId: Windows recognises upgrades and the uninstaller by it.
#define AppId "{{9ACB4025-4FC5-4554-83CC-274311E196FE}"
#define DistDir SourcePath + "..\dist\congress-desktop"

#if !FileExists(DistDir + "\" + AppExe)
  #error 找不到 dist\congress-desktop\congress-desktop.exe：请先运行 python dev.py build（见 build_scripts\README.md）
#endif
#if !FileExists(SourcePath + "ChineseSimplified.isl")
  #error 缺少 build_scripts\ChineseSimplified.isl（简体中文语言文件，需单独下载，见 build_scripts\README.md 第 5 步）
#endif

; The version comes from the built program (its version resource, made from congress_desktop\__init__.py).
#ifndef AppVersion
  #define AppVersion GetVersionNumbersString(DistDir + "\" + AppExe)
#endif

[Setup]
AppId={#AppId}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=© {#AppPublisher}
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} 安装程序
VersionInfoCompany={#AppPublisher}
; per machine: Program Files, shortcuts for all users; administrator rights required
PrivilegesRequired=admin
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; 64-bit Windows 10 or 11 only (the program is built with 64-bit Python)
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile={#SourcePath}..\resources\icons\app.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir={#SourcePath}..\dist\installer
OutputBaseFilename=congress-desktop-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=no
; a running copy is closed (Restart Manager) before its files are replaced, and started again after
CloseApplications=yes
RestartApplications=no
; code signing (optional, see README): uncomment after defining the tool "signtool" in the Inno
; Setup IDE (Tools > Configure Sign Tools); it signs the installer and the uninstaller.
;SignTool=signtool
;SignedUninstaller=yes

[Languages]
Name: "chinesesimplified"; MessagesFile: "ChineseSimplified.isl"

[Messages]
; %n is a new line; %1 the program's name. The data folder is named in full (no %LOCALAPPDATA%: a
; percent sign would be read as a placeholder here).
chinesesimplified.ConfirmUninstall=确定要卸载 %1 吗？%n%n卸载只删除程序文件，不会删除您的数据。%n数据库、自动备份和日志保存在每位用户自己的文件夹中：%nC:\Users\用户名\AppData\Local\congress-desktop%n重新安装后可以继续使用这些数据。%n%n如果确实不再需要这些数据，请先“备份到U盘”，再手动删除该文件夹。
chinesesimplified.UninstalledAll=%1 已从您的电脑中删除。%n%n您的数据没有删除，仍在 C:\Users\用户名\AppData\Local\congress-desktop 中。

[Tasks]
Name: "desktopicon"; Description: "在桌面上创建“{#AppName}”快捷方式"; GroupDescription: "快捷方式："

[InstallDelete]
; the previous version's program files: a module left over from an older build must not be loaded
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "乡镇（街道）人大和市人大常委会离线工作软件"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "乡镇（街道）人大和市人大常委会离线工作软件"; Tasks: desktopicon

[Run]
; runasoriginaluser: started as the person who ran setup, not as the administrator (the data folder
; is per user)
Filename: "{app}\{#AppExe}"; Description: "立即启动{#AppName}"; Flags: nowait postinstall skipifsilent runasoriginaluser

; No [UninstallDelete] section on purpose: nothing outside {app} is ever removed.
