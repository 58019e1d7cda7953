<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>SegEarth</name>
    <message>
        <source>loading model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>preparing the model (once)</source>
        <translation>准备模型（仅一次）</translation>
    </message>
    <message>
        <source>{} (cancelled)</source>
        <translation>{}（已取消）</translation>
    </message>
    <message>
        <source>reading pixels</source>
        <translation>读取像素</translation>
    </message>
    <message>
        <source>encoding</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>reasoning</source>
        <translation>推理</translation>
    </message>
    <message>
        <source>decoding</source>
        <translation>解码</translation>
    </message>
    <message>
        <source>vectorising</source>
        <translation>矢量化</translation>
    </message>
    <message>
        <source>SegEarth</source>
        <translation>SegEarth</translation>
    </message>
    <message>
        <source>Raster layer</source>
        <translation>栅格图层</translation>
    </message>
    <message>
        <source>Ask about the layer, e.g. where could a small plane land?</source>
        <translation>就该图层提问，例如：小型飞机可以在哪里降落？</translation>
    </message>
    <message>
        <source>Enter runs; Shift+Enter starts a new line</source>
        <translation>回车运行；Shift+回车换行</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Reasoning (implicit question)</source>
        <translation>推理（隐式问题）</translation>
    </message>
    <message>
        <source>Referring (name the object)</source>
        <translation>指代（说出目标）</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Whole layer</source>
        <translation>整个图层</translation>
    </message>
    <message>
        <source>Visible map extent</source>
        <translation>可见地图范围</translation>
    </message>
    <message>
        <source>Extent</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Single view (fast, resampled)</source>
        <translation>单视图（快速，重采样）</translation>
    </message>
    <message>
        <source>Tiled (full resolution)</source>
        <translation>分块（全分辨率）</translation>
    </message>
    <message>
        <source>native</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>Map units per pixel for tiled runs; 0 uses the layer's own resolution</source>
        <translation>分块运行时每像素的地图单位；0 表示使用图层自身分辨率</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation>分辨率</translation>
    </message>
    <message>
        <source>Bands (R, G, B)</source>
        <translation>波段（红、绿、蓝）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Export the selected result layer to a Shapefile or GeoPackage</source>
        <translation>将所选结果图层导出为 Shapefile 或 GeoPackage</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Past questions on this layer (click to run again)</source>
        <translation>此图层的历史问题（点击重新运行）</translation>
    </message>
    <message>
        <source>Choose a raster layer first</source>
        <translation>请先选择一个栅格图层</translation>
    </message>
    <message>
        <source>Type a question first</source>
        <translation>请先输入问题</translation>
    </message>
    <message>
        <source>Choose a model folder (or download a model) first</source>
        <translation>请先选择模型文件夹（或下载模型）</translation>
    </message>
    <message>
        <source>The visible map extent does not overlap the layer</source>
        <translation>可见地图范围与图层不重叠</translation>
    </message>
    <message>
        <source>Choose a .shp or .gpkg file name</source>
        <translation>请选择 .shp 或 .gpkg 文件名</translation>
    </message>
    <message>
        <source>SegEarth answer to: {}</source>
        <translation>SegEarth 对以下问题的回答：{}</translation>
    </message>
    <message>
        <source>Model files present</source>
        <translation>模型文件齐全</translation>
    </message>
    <message>
        <source>No model folder chosen</source>
        <translation>未选择模型文件夹</translation>
    </message>
    <message>
        <source>Test model (random weights): results are meaningless</source>
        <translation>测试模型（随机权重）：结果没有意义</translation>
    </message>
    <message>
        <source>Folder does not exist: {}</source>
        <translation>文件夹不存在：{}</translation>
    </message>
    <message>
        <source>Missing files: {}</source>
        <translation>缺少文件：{}</translation>
    </message>
    <message>
        <source>config.json cannot be read: {}</source>
        <translation>无法读取 config.json：{}</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>revision (commit)</source>
        <translation>版本（提交）</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download the pinned revision from Hugging Face and check its sha256</source>
        <translation>从 Hugging Face 下载固定版本并校验 sha256</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>not loaded: {}</source>
        <translation>未加载：{}</translation>
    </message>
    <message>
        <source>SegEarth: loading the model</source>
        <translation>SegEarth：正在加载模型</translation>
    </message>
    <message>
        <source>Low memory</source>
        <translation>低内存模式</translation>
    </message>
    <message>
        <source>For 8 GB machines: release the language model between questions and the image encoder after encoding; each question then loads them again (slower)</source>
        <translation>适用于 8 GB 内存的机器：在两次提问之间释放语言模型，并在编码后释放图像编码器；之后每次提问都会重新加载它们（较慢）</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Diagnostics</source>
        <translation>诊断</translation>
    </message>
    <message>
        <source>Copy a report of versions, providers and GPU to the clipboard</source>
        <translation>将版本、执行提供程序和 GPU 报告复制到剪贴板</translation>
    </message>
    <message>
        <source>Install dependencies…</source>
        <translation>安装依赖…</translation>
    </message>
    <message>
        <source>test model (random weights)</source>
        <translation>测试模型（随机权重）</translation>
    </message>
    <message>
        <source>Loaded: {}</source>
        <translation>已加载：{}</translation>
    </message>
    <message>
        <source>Missing Python packages: {}</source>
        <translation>缺少 Python 包：{}</translation>
    </message>
    <message>
        <source>SegEarth panel</source>
        <translation>SegEarth 面板</translation>
    </message>
    <message>
        <source>Segment selected extent</source>
        <translation>分割所选范围</translation>
    </message>
    <message>
        <source>Segment visible extent</source>
        <translation>分割可见范围</translation>
    </message>
    <message>
        <source>Export SegEarth result…</source>
        <translation>导出 SegEarth 结果…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Drag a rectangle on the map</source>
        <translation>在地图上拖出一个矩形</translation>
    </message>
    <message>
        <source>Export SegEarth result</source>
        <translation>导出 SegEarth 结果</translation>
    </message>
    <message>
        <source>Shapefile (*.shp)</source>
        <translation>Shapefile 文件 (*.shp)</translation>
    </message>
    <message>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage 文件 (*.gpkg)</translation>
    </message>
    <message>
        <source>Diagnostics copied to the clipboard</source>
        <translation>诊断信息已复制到剪贴板</translation>
    </message>
    <message>
        <source>A question is already running; cancel it first</source>
        <translation>已有一个问题正在运行，请先取消</translation>
    </message>
    <message>
        <source>The raster layer is no longer in the project</source>
        <translation>该栅格图层已不在工程中</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Cancelled; nothing was added</source>
        <translation>已取消；未添加任何内容</translation>
    </message>
    <message>
        <source>The rectangle does not overlap the layer</source>
        <translation>矩形与图层不重叠</translation>
    </message>
    <message>
        <source>Select a SegEarth result layer to export</source>
        <translation>请选择要导出的 SegEarth 结果图层</translation>
    </message>
    <message>
        <source>Type a Hugging Face repo id first</source>
        <translation>请先输入 Hugging Face 仓库 ID</translation>
    </message>
    <message>
        <source>Done: {} polygons</source>
        <translation>完成：{} 个多边形</translation>
    </message>
    <message>
        <source>{} exists. Replace it?</source>
        <translation>{} 已存在。是否替换？</translation>
    </message>
    <message>
        <source>Exported to {}</source>
        <translation>已导出到 {}</translation>
    </message>
    <message>
        <source>SegEarth: {}</source>
        <translation>SegEarth：{}</translation>
    </message>
    <message>
        <source>Failed: {}</source>
        <translation>失败：{}</translation>
    </message>
    <message>
        <source>{} polygons from a TEST model with random weights: they mean nothing</source>
        <translation>{} 个多边形来自随机权重的测试模型：没有任何意义</translation>
    </message>
    <message>
        <source>{} polygons for: {}</source>
        <translation>{} 个多边形，问题：{}</translation>
    </message>
    <message>
        <source>{} exists; nothing was written</source>
        <translation>{} 已存在；未写入任何内容</translation>
    </message>
    <message>
        <source>Installation failed: {}</source>
        <translation>安装失败：{}</translation>
    </message>
    <message>
        <source>Segment raster by question</source>
        <translation>按问题分割栅格</translation>
    </message>
    <message>
        <source>Answer polygons</source>
        <translation>答案多边形</translation>
    </message>
    <message>
        <source>A raster layer and a question are required</source>
        <translation>需要一个栅格图层和一个问题</translation>
    </message>
    <message>
        <source>Model {} on {}</source>
        <translation>模型 {}，运行于 {}</translation>
    </message>
    <message>
        <source>SegEarth results</source>
        <translation>SegEarth 结果</translation>
    </message>
    <message>
        <source>Asks SegEarth-R1 or SegEarth-R2 a question about a raster and writes the answer as polygons in the raster's CRS. SegEarth-R2 can name several targets: each polygon then carries its target's phrase (target) and number (target_idx), and the text answer is shown in the log.</source>
        <translation>向 SegEarth-R1 或 SegEarth-R2 提出关于栅格的问题，并将答案以栅格坐标系中的多边形写出。SegEarth-R2 可以给出多个目标：每个多边形带有其目标的短语（target）和编号（target_idx），文本回答显示在日志中。</translation>
    </message>
    <message>
        <source>Done: {} polygons for {} targets</source>
        <translation>完成：{} 个多边形，{} 个目标</translation>
    </message>
    <message>
        <source>Model's answer</source>
        <translation>模型的回答</translation>
    </message>
    <message>
        <source>Model's answer: {}</source>
        <translation>模型的回答：{}</translation>
    </message>
    <message>
        <source>SegEarth targets</source>
        <translation>SegEarth 目标</translation>
    </message>
    <message>
        <source>SegEarth-R2 answers once for the whole extent: tiles could name different targets, so only the single view is offered</source>
        <translation>SegEarth-R2 对整个范围只回答一次：不同瓦片可能给出不同的目标，因此只提供单视图模式</translation>
    </message>
    <message>
        <source>SegEarth-R2 model files present: one question can return several targets</source>
        <translation>SegEarth-R2 模型文件齐全：一个问题可以返回多个目标</translation>
    </message>
    <message>
        <source>SegEarth-R2 models answer in single view mode only</source>
        <translation>SegEarth-R2 模型只能在单视图模式下回答</translation>
    </message>
    <message>
        <source>SegEarth-R2 reads the question itself (one prompt for referring and reasoning): there is no task to choose</source>
        <translation>SegEarth-R2 自行理解问题（指代与推理共用一个提示）：无需选择任务</translation>
    </message>
    <message>
        <source>SegEarth-R2 test model (random weights): results are meaningless</source>
        <translation>SegEarth-R2 测试模型（随机权重）：结果没有意义</translation>
    </message>
    <message>
        <source>The text the model wrote; [1], [2]… mark where it named each target</source>
        <translation>模型写出的文本；[1]、[2]… 标出它提到每个目标的位置</translation>
    </message>
    <message>
        <source>Already in QGIS, removed from the folder: {}</source>
        <translation>QGIS 已自带，已从文件夹中移除：{}</translation>
    </message>
    <message>
        <source>Cancelled; nothing was changed</source>
        <translation>已取消；未做任何更改</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Folder of wheels</source>
        <translation>wheel 文件夹</translation>
    </message>
    <message>
        <source>Folder: {}</source>
        <translation>文件夹：{}</translation>
    </message>
    <message>
        <source>From your system, not from pip (they must use QGIS&apos;s own GDAL): {}</source>
        <translation>请从系统安装，而不是用 pip（它们必须使用 QGIS 自带的 GDAL）：{}</translation>
    </message>
    <message>
        <source>From: {}</source>
        <translation>来源：{}</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>安装</translation>
    </message>
    <message>
        <source>Install SegEarth dependencies</source>
        <translation>安装 SegEarth 依赖</translation>
    </message>
    <message>
        <source>Installation failed:</source>
        <translation>安装失败：</translation>
    </message>
    <message>
        <source>Installed {}. Restart QGIS to use them.</source>
        <translation>已安装 {}。请重启 QGIS 以使用。</translation>
    </message>
    <message>
        <source>Missing: {}. Click “Install dependencies…” to install them into a private folder of this QGIS profile, then restart QGIS.</source>
        <translation>缺少：{}。点击“安装依赖…”将其安装到此 QGIS 配置文件的私有文件夹中，然后重启 QGIS。</translation>
    </message>
    <message>
        <source>Offline machines: install from wheels downloaded elsewhere (make wheelhouse)</source>
        <translation>离线机器：从在别处下载的 wheel 安装（make wheelhouse）</translation>
    </message>
    <message>
        <source>Packages: {}</source>
        <translation>软件包：{}</translation>
    </message>
    <message>
        <source>SegEarth needs Python packages that this QGIS does not have yet.</source>
        <translation>SegEarth 需要此 QGIS 尚未安装的 Python 包。</translation>
    </message>
    <message>
        <source>SegEarth needs Python packages that this QGIS does not have yet: see the SegEarth panel</source>
        <translation>SegEarth 需要此 QGIS 尚未安装的 Python 包：请查看 SegEarth 面板</translation>
    </message>
    <message>
        <source>SegEarth will install these Python packages into a private folder of this QGIS profile. QGIS&apos;s own numpy, GDAL and geo packages are not touched.</source>
        <translation>SegEarth 将把这些 Python 包安装到此 QGIS 配置文件的私有文件夹中。QGIS 自带的 numpy、GDAL 和地理包不会被改动。</translation>
    </message>
    <message>
        <source>The SegEarth engine is not installed: {}</source>
        <translation>SegEarth 引擎未安装：{}</translation>
    </message>
    <message>
        <source>The download can be large (torch alone is several hundred MB). Restart QGIS afterwards.</source>
        <translation>下载可能很大（仅 torch 就有数百 MB）。完成后请重启 QGIS。</translation>
    </message>
    <message>
        <source>The installer could not start {}</source>
        <translation>安装程序无法启动 {}</translation>
    </message>
    <message>
        <source>Torch: {} — {}</source>
        <translation>Torch：{} — {}</translation>
    </message>
    <message>
        <source>Use a folder of wheels…</source>
        <translation>使用 wheel 文件夹…</translation>
    </message>
    <message>
        <source>pip finished but the folder could not be put in place: {}</source>
        <translation>pip 已完成，但文件夹无法就位：{}</translation>
    </message>
    <message>
        <source>A raster layer and a question table are required</source>
        <translation>需要一个栅格图层和一个问题表</translation>
    </message>
    <message>
        <source>An answer layer and a reference layer are required</source>
        <translation>需要一个答案图层和一个参考图层</translation>
    </message>
    <message>
        <source>Answer a question set</source>
        <translation>回答问题集</translation>
    </message>
    <message>
        <source>Answer layer</source>
        <translation>答案图层</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Asks every row of a table (CSV or any vector layer) its question on the raster: columns id, question, task (reasoning or referring), ref_filter (a filter expression on the reference layer), and the extent as the row's geometry, a wkt column or minx, miny, maxx, maxy (in the table's CRS, else the raster's). All answers go to one layer with the row id. With reference polygons each row is scored inside its extent (IoU, precision, recall, F1, matched / missed / false alarms) and gIoU / cIoU are given over the scored rows. Rows on the same extent share one encoding; a row that fails is reported and skipped.</source>
        <translation>在栅格上逐行提问表格（CSV 或任意矢量图层）中的问题：列 id、question、task（reasoning 或 referring）、ref_filter（参考图层上的过滤表达式），范围取该行的几何、wkt 列或 minx、miny、maxx、maxy（使用表格的坐标参考系，否则使用栅格的）。所有答案写入同一个图层并带有行号。给出参考多边形时，每行在其范围内评分（IoU、精确率、召回率、F1、匹配 / 漏检 / 误报），并给出已评分行的 gIoU / cIoU。同一范围的行共用一次编码；失败的行会被报告并跳过。</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Choose a reference polygon layer first</source>
        <translation>请先选择一个参考多边形图层</translation>
    </message>
    <message>
        <source>Extent (empty: everywhere)</source>
        <translation>范围（留空：全部）</translation>
    </message>
    <message>
        <source>False alarm (answer)</source>
        <translation>误报（答案）</translation>
    </message>
    <message>
        <source>IoU {iou:.3f}, precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}
answer {answer:.0f} m², reference {reference:.0f} m², overlap {overlap:.0f} m²
{references} references: {matched} matched, {missed} missed; {false_alarms} false alarms (match: IoU ≥ {match_iou:g})</source>
        <translation>IoU {iou:.3f}，精确率 {precision:.3f}，召回率 {recall:.3f}，F1 {f1:.3f}
答案 {answer:.0f} m²，参考 {reference:.0f} m²，重叠 {overlap:.0f} m²
{references} 个参考：{matched} 个匹配，{missed} 个漏检；{false_alarms} 个误报（匹配：IoU ≥ {match_iou:g}）</translation>
    </message>
    <message>
        <source>IoU, precision, recall and F1 of the selected result layer (or the last one) against the reference polygons, inside the extent the question was asked on</source>
        <translation>所选结果图层（或最近一个）相对参考多边形的 IoU、精确率、召回率和 F1，在提问时的范围内计算</translation>
    </message>
    <message>
        <source>Match IoU</source>
        <translation>匹配 IoU</translation>
    </message>
    <message>
        <source>Matched reference</source>
        <translation>已匹配的参考</translation>
    </message>
    <message>
        <source>Matched, missed and false alarms</source>
        <translation>匹配、漏检与误报</translation>
    </message>
    <message>
        <source>Measures how well answer polygons (a SegEarth result or any polygon layer) agree with reference polygons within an extent: IoU, precision, recall and F1 of the union areas (m², geodesic in geographic CRSs), computed as `segearth eval` computes IoU. Each reference is matched one-to-one to an answer polygon when their IoU reaches the match IoU (greedy, highest IoU first); unmatched references are 'missed', unmatched answer polygons 'false_alarm'. Layers may be in any CRS; scores are measured in the answer layer's CRS.</source>
        <translation>衡量答案多边形（SegEarth 结果或任意多边形图层）与参考多边形在某一范围内的一致程度：并集面积的 IoU、精确率、召回率和 F1（m²，地理坐标系中按大地测量计算），IoU 的算法与 `segearth eval` 相同。当参考与某个答案多边形的 IoU 达到匹配 IoU 时，二者一对一匹配（贪心，IoU 最高者优先）；未匹配的参考为 'missed'，未匹配的答案多边形为 'false_alarm'。图层可以使用任意坐标参考系；在答案图层的坐标参考系中度量。</translation>
    </message>
    <message>
        <source>Missed reference</source>
        <translation>漏检的参考</translation>
    </message>
    <message>
        <source>Model {} on {}; {} rows</source>
        <translation>模型 {}，设备 {}；{} 行</translation>
    </message>
    <message>
        <source>Per-row scores</source>
        <translation>逐行得分</translation>
    </message>
    <message>
        <source>Question table</source>
        <translation>问题表</translation>
    </message>
    <message>
        <source>Reference filter</source>
        <translation>参考过滤条件</translation>
    </message>
    <message>
        <source>Reference filter for rows without ref_filter</source>
        <translation>无 ref_filter 的行使用的参考过滤条件</translation>
    </message>
    <message>
        <source>Reference filter {}: {}</source>
        <translation>参考过滤条件 {}：{}</translation>
    </message>
    <message>
        <source>Reference polygons</source>
        <translation>参考多边形</translation>
    </message>
    <message>
        <source>Reference polygons (any CRS) to score the selected result against</source>
        <translation>用于评估所选结果的参考多边形（任意坐标参考系）</translation>
    </message>
    <message>
        <source>Rows</source>
        <translation>行数</translation>
    </message>
    <message>
        <source>Rows answered</source>
        <translation>已回答行数</translation>
    </message>
    <message>
        <source>Rows failed</source>
        <translation>失败行数</translation>
    </message>
    <message>
        <source>Rows scored</source>
        <translation>已评分行数</translation>
    </message>
    <message>
        <source>Score against reference</source>
        <translation>与参考对比评分</translation>
    </message>
    <message>
        <source>Scores of {} against {}</source>
        <translation>{} 相对 {} 的得分</translation>
    </message>
    <message>
        <source>Scoring failed: {}</source>
        <translation>评分失败：{}</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>正在评分…</translation>
    </message>
    <message>
        <source>SegEarth scoring</source>
        <translation>SegEarth 评分</translation>
    </message>
    <message>
        <source>Select a SegEarth result layer to score</source>
        <translation>请选择要评分的 SegEarth 结果图层</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>The SegEarth engine cannot be imported: {}</source>
        <translation>无法导入 SegEarth 引擎：{}</translation>
    </message>
    <message>
        <source>The answer layer has no valid CRS: areas cannot be measured</source>
        <translation>答案图层没有有效的坐标参考系：无法计算面积</translation>
    </message>
    <message>
        <source>The question table has no rows</source>
        <translation>问题表没有任何行</translation>
    </message>
    <message>
        <source>gIoU {:.4f}, cIoU {:.4f} over {} scored rows</source>
        <translation>gIoU {:.4f}，cIoU {:.4f}，共 {} 个已评分行</translation>
    </message>
    <message>
        <source>{} of {} rows answered, {} failed; {} encodings</source>
        <translation>{} / {} 行已回答，{} 行失败；{} 次编码</translation>
    </message>
    <message>
        <source>SegEarth: preparing the view</source>
        <translation>SegEarth：正在准备视图</translation>
    </message>
    <message>
        <source>View prepared for the next question</source>
        <translation>视图已为下一个问题准备好</translation>
    </message>
    <message>
        <source>Prepare the view while I type</source>
        <translation>输入时预先准备视图</translation>
    </message>
    <message>
        <source>Encode the view a question would use while you type it, so that the answer comes sooner; this uses the processor while you type</source>
        <translation>在您输入问题时预先编码该问题将使用的视图，以便更快得到答案；输入期间会占用处理器</translation>
    </message>
    <message>
        <source>Exporting the model's ONNX graphs (once)</source>
        <translation>正在导出模型的 ONNX 图（仅一次）</translation>
    </message>
    <message>
        <source>Reference:</source>
        <translation>参考：</translation>
    </message>
    <message>
        <source> The existing file is unchanged.</source>
        <translation>现有文件未被改动。</translation>
    </message>
    <message>
        <source>Cancelled: {}; nothing was added</source>
        <translation>已取消：{}；未添加任何内容</translation>
    </message>
    <message>
        <source>Cancelling: {}</source>
        <translation>正在取消：{}</translation>
    </message>
    <message>
        <source>Export cancelled: nothing was written.</source>
        <translation>导出已取消：未写入任何内容。</translation>
    </message>
    <message>
        <source>Exported to the layer "{}" of {}; its other layers were kept: {}</source>
        <translation>已导出到图层“{}”（文件 {}）；文件中的其他图层已保留：{}</translation>
    </message>
    <message>
        <source>Exporting to {}…</source>
        <translation>正在导出到 {}…</translation>
    </message>
    <message>
        <source>No reference polygon lies in the extent the question was asked on: the scores compare the answer with nothing.</source>
        <translation>提问范围内没有任何参考多边形：得分是将答案与空集比较。</translation>
    </message>
    <message>
        <source>Press and drag on the map to draw a rectangle; a click alone selects nothing</source>
        <translation>在地图上按住并拖动以绘制矩形；单击不会选择任何范围</translation>
    </message>
    <message>
        <source>Question cancelled: {}</source>
        <translation>问题已取消：{}</translation>
    </message>
    <message>
        <source>Scores not added: {}</source>
        <translation>得分未添加：{}</translation>
    </message>
    <message>
        <source>SegEarth: exporting to {}</source>
        <translation>SegEarth：正在导出到 {}</translation>
    </message>
    <message>
        <source>The disk is full ({}): {} was not written.</source>
        <translation>磁盘已满（{}）：{} 未写入。</translation>
    </message>
    <message>
        <source>The model was trained on English questions: this answer to a question in another language may be unreliable.</source>
        <translation>该模型是用英文问题训练的：用其他语言提问得到的答案可能不可靠。</translation>
    </message>
    <message>
        <source>The output {} cannot be written: {} ({}). Nothing was computed.</source>
        <translation>无法写入输出 {}：{}（{}）。未进行任何计算。</translation>
    </message>
    <message>
        <source>The output {} cannot be written: {}. Nothing was computed.</source>
        <translation>无法写入输出 {}：{}。未进行任何计算。</translation>
    </message>
    <message>
        <source>The question table has no "question" column (its columns: {}). Nothing was run.</source>
        <translation>问题表没有“question”列（现有列：{}）。未运行任何问题。</translation>
    </message>
    <message>
        <source>The reference filter {} matches no reference polygon here: the scores compare the answer with nothing.</source>
        <translation>参考过滤条件 {} 在此处没有匹配任何参考多边形：得分是将答案与空集比较。</translation>
    </message>
    <message>
        <source>Too large for this resolution: the answer would be a grid of {}. Set Resolution to at least {:.3g} map units per pixel, or choose a smaller extent.</source>
        <translation>此分辨率下过大：答案将是 {} 的栅格。请将“分辨率”设为至少 {:.3g} 地图单位/像素，或选择更小的范围。</translation>
    </message>
    <message>
        <source>Too large: the answer would be a grid of {}. Choose a smaller extent, or a coarser resolution.</source>
        <translation>过大：答案将是 {} 的栅格。请选择更小的范围或更粗的分辨率。</translation>
    </message>
    <message>
        <source>Write error ({}): the output was not written.</source>
        <translation>写入错误（{}）：输出未写入。</translation>
    </message>
    <message>
        <source>Write error ({}): {} was not written.</source>
        <translation>写入错误（{}）：{} 未写入。</translation>
    </message>
    <message>
        <source>a feature could not be written</source>
        <translation>有要素无法写入</translation>
    </message>
    <message>
        <source>free space unknown</source>
        <translation>可用空间未知</translation>
    </message>
    <message>
        <source>row {}: {}</source>
        <translation>第 {} 行：{}</translation>
    </message>
    <message>
        <source>source raster</source>
        <translation>源栅格</translation>
    </message>
    <message>
        <source>the file read back holds {} of {} features</source>
        <translation>读回的文件只包含 {} 个要素（共 {} 个）</translation>
    </message>
    <message>
        <source>the output could not be flushed</source>
        <translation>输出无法写入磁盘</translation>
    </message>
    <message>
        <source>the project was closed (a new or another project was opened)</source>
        <translation>项目已关闭（新建或打开了另一个项目）</translation>
    </message>
    <message>
        <source>the raster layer {} was removed from the project</source>
        <translation>栅格图层 {} 已从项目中移除</translation>
    </message>
    <message>
        <source>{} free on that disk</source>
        <translation>该磁盘剩余 {}</translation>
    </message>
    <message>
        <source>{} holds other layers: {}. They are kept; only the layer "{}" is written (replaced if it is there). Go on?</source>
        <translation>{} 中还有其他图层：{}。它们会被保留；只写入图层“{}”（如已存在则替换）。是否继续？</translation>
    </message>
    <message>
        <source>{} is a file of the layer "{}": exporting there would destroy it. Choose another file name.</source>
        <translation>{} 是图层“{}”的文件：导出到这里会毁掉它。请选择其他文件名。</translation>
    </message>
    <message>
        <source>{} is a file: choose the model folder, the one holding config.json (here: {})</source>
        <translation>{} 是一个文件：请选择模型文件夹，即包含 config.json 的文件夹（此处为：{}）</translation>
    </message>
    <message>
        <source>{} is a folder; choose a file name</source>
        <translation>{} 是一个文件夹；请选择文件名</translation>
    </message>
    <message>
        <source>{} is not a folder</source>
        <translation>{} 不是文件夹</translation>
    </message>
    <message>
        <source>{} is read-only</source>
        <translation>{} 是只读的</translation>
    </message>
    <message>
        <source>{} × {} pixels ({:.1f} gigapixels)</source>
        <translation>{} × {} 像素（{:.1f} 千兆像素）</translation>
    </message>
    <message>
        <source>SegEarth: downloading {}</source>
        <translation>SegEarth：正在下载 {}</translation>
    </message>
    <message>
        <source>{} of {}</source>
        <translation>{} / {}</translation>
    </message>
    <message>
        <source>Downloading {}: {}</source>
        <translation>正在下载 {}：{}</translation>
    </message>
    <message>
        <source>Folder for downloaded models</source>
        <translation>下载模型的文件夹</translation>
    </message>
    <message>
        <source>Each model goes into a folder of its own here; it needs about 7 GB with what its first load writes</source>
        <translation>每个模型在此有自己的文件夹；连同首次加载写入的文件约需 7 GB</translation>
    </message>
    <message>
        <source>Download to</source>
        <translation>下载到</translation>
    </message>
    <message>
        <source>The model hub's address; a mirror such as https://hf-mirror.com where the Hugging Face hub cannot be reached. QGIS's proxy (Settings &gt; Options &gt; Network) is used</source>
        <translation>模型仓库（Hub）的地址；无法访问 Hugging Face 时可填写镜像，例如 https://hf-mirror.com。下载使用 QGIS 的代理设置（设置 &gt; 选项 &gt; 网络）</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Hub 地址（镜像）</translation>
    </message>
    <message>
        <source>Checking what was fetched before: {}</source>
        <translation>正在校验此前已下载的部分：{}</translation>
    </message>
    <message>
        <source>Waiting: {} ({} fetched)</source>
        <translation>等待中：{}（已下载 {}）</translation>
    </message>
    <message>
        <source>Verifying {} (sha256)…</source>
        <translation>正在校验 {}（sha256）…</translation>
    </message>
    <message>
        <source>Downloaded and verified: {}</source>
        <translation>已下载并校验：{}</translation>
    </message>
    <message>
        <source>Connecting to {}…</source>
        <translation>正在连接 {}…</translation>
    </message>
    <message>
        <source>the model hub</source>
        <translation>模型仓库</translation>
    </message>
    <message>
        <source>Downloading {}: {} (no data for {} s)</source>
        <translation>正在下载 {}：{}（已 {} 秒未收到数据）</translation>
    </message>
    <message>
        <source>{} left</source>
        <translation>剩余 {}</translation>
    </message>
    <message>
        <source>exporting the image encoder to ONNX (step 1 of 3)</source>
        <translation>正在将图像编码器导出为 ONNX（第 1/3 步）</translation>
    </message>
    <message>
        <source>exporting the mask decoder to ONNX (step 2 of 3)</source>
        <translation>正在将掩膜解码器导出为 ONNX（第 2/3 步）</translation>
    </message>
    <message>
        <source>preparing the language model (step 3 of 3)</source>
        <translation>正在准备语言模型（第 3/3 步）</translation>
    </message>
    <message>
        <source>Preparing the model (once): {} · {}</source>
        <translation>正在准备模型（仅一次）：{} · {}</translation>
    </message>
    <message>
        <source>The model could not be prepared</source>
        <translation>无法准备模型</translation>
    </message>
    <message>
        <source>Preparation cancelled</source>
        <translation>准备已取消</translation>
    </message>
    <message>
        <source>The model will be prepared at its next load (a question, or choosing the folder again).</source>
        <translation>模型将在下次加载时准备（提问，或重新选择该文件夹）。</translation>
    </message>
    <message>
        <source>{} of about {} written</source>
        <translation>已写入 {}，共约 {}</translation>
    </message>
    <message>
        <source>about {} to write</source>
        <translation>约需写入 {}</translation>
    </message>
    <message>
        <source>No model yet: download it or choose its folder (top of this panel)</source>
        <translation>尚无模型：请下载或选择其文件夹（见本面板顶部）</translation>
    </message>
    <message>
        <source>Choose a raster layer, type a question (e.g. where could a small plane land?) and press Run.</source>
        <translation>选择一个栅格图层，输入问题（例如：小飞机可以在哪里降落？），然后点击“运行”。</translation>
    </message>
    <message>
        <source>The model folder is not usable: {}</source>
        <translation>模型文件夹不可用：{}</translation>
    </message>
    <message>
        <source>Choose folder…</source>
        <translation>选择文件夹…</translation>
    </message>
    <message>
        <source>A folder that already holds a SegEarth model (config.json and *.safetensors)</source>
        <translation>已包含 SegEarth 模型的文件夹（config.json 和 *.safetensors）</translation>
    </message>
    <message>
        <source>Got it</source>
        <translation>知道了</translation>
    </message>
    <message>
        <source>First, get the model</source>
        <translation>第一步：获取模型</translation>
    </message>
    <message>
        <source>Model downloaded and verified</source>
        <translation>模型已下载并校验</translation>
    </message>
    <message>
        <source>Ready for a first question</source>
        <translation>可以提出第一个问题了</translation>
    </message>
    <message>
        <source>SegEarth answers with the {} model: a download of about {} into {}; its first load then writes up to about {} more beside it. Or choose a folder that already holds the model.</source>
        <translation>SegEarth 使用 {} 模型作答：需下载约 {} 到 {}；首次加载还会在旁边再写入最多约 {}。也可以选择已包含该模型的文件夹。</translation>
    </message>
    <message>
        <source>Downloading the model</source>
        <translation>正在下载模型</translation>
    </message>
    <message>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Preparing the model (once)</source>
        <translation>正在准备模型（仅一次）</translation>
    </message>
    <message>
        <source>The first load exports the model for ONNX Runtime and prepares the language model; later loads take seconds.</source>
        <translation>首次加载会为 ONNX Runtime 导出模型并准备语言模型；之后的加载只需几秒。</translation>
    </message>
    <message>
        <source>This is a TEST model with random weights: its answers mean nothing.</source>
        <translation>这是权重随机的测试模型：其结果没有意义。</translation>
    </message>
    <message>
        <source>{} in {}, every file checked (sha256). Loading it for the first time…</source>
        <translation>{} 位于 {}，所有文件均已校验（sha256）。正在首次加载…</translation>
    </message>
    <message>
        <source>{} of it were fetched before: Download goes on from there.</source>
        <translation>此前已下载 {}：下载将从那里继续。</translation>
    </message>
    <message>
        <source>Resume download ({} left)</source>
        <translation>继续下载（剩余 {}）</translation>
    </message>
    <message>
        <source>Download ({})</source>
        <translation>下载（{}）</translation>
    </message>
    <message>
        <source>Download cancelled</source>
        <translation>下载已取消</translation>
    </message>
    <message>
        <source>Download failed</source>
        <translation>下载失败</translation>
    </message>
    <message>
        <source>A download is already running</source>
        <translation>已有下载正在进行</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>未知错误</translation>
    </message>
    <message>
        <source>({} fetched so far are kept: Download goes on from there.)</source>
        <translation>（已下载的 {} 已保留：下载将从那里继续。）</translation>
    </message>
    <message>
        <source>Downloading {} into {}</source>
        <translation>正在下载 {} 到 {}</translation>
    </message>
    <message>
        <source>{} fetched so far are kept in {}: Download goes on from there.</source>
        <translation>已下载的 {} 保留在 {}：下载将从那里继续。</translation>
    </message>
    <message>
        <source>Model downloaded and verified: {}</source>
        <translation>模型已下载并校验：{}</translation>
    </message>
    <message>
        <source>Download failed: {}</source>
        <translation>下载失败：{}</translation>
    </message>
    <message>
        <source>The download cannot start: {}</source>
        <translation>无法开始下载：{}</translation>
    </message>
    <message>
        <source>Repo</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Waiting: {}</source>
        <translation>等待中：{}</translation>
    </message>
</context>
</TS>
